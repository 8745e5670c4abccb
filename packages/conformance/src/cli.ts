#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BACKEND_ALIASES, BACKENDS } from './backends';
import { formatReports, listFixtureFiles, runFixtures } from './runner';

/**
 * pnpm conformance [files...] [--backend NAME] [--dtype float32|float64] [--composed]
 * Runs fixture cases (all vendored ones by default), prints max abs / rel error per tensor and
 * exits 1 when any case is beyond tolerance (float32: 1e-4 absolute or 1e-3 relative).
 */
const program = new Command()
  .name('conformance')
  .argument('[files...]', 'fixture JSON files (default: every fixture under fixtures/)')
  .addOption(
    new Option('--backend <name>', 'backend to run on')
      .choices([...BACKENDS.map((b) => b.name), ...Object.keys(BACKEND_ALIASES)])
      .default('js'),
  )
  .addOption(
    new Option('--dtype <dtype>', 'float precision under test').choices(['float32', 'float64']).default('float32'),
  )
  .option('--composed', 'force the composed per-step path instead of fused kernels')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(async (files: string[], opts: { backend: string; dtype: 'float32' | 'float64'; composed?: boolean }) => {
    const list = files.length
      ? files.map((f) => resolve(process.env.INIT_CWD ?? process.cwd(), f))
      : listFixtureFiles();
    const reports = await runFixtures(list, { backend: opts.backend, dtype: opts.dtype, fused: !opts.composed });
    const { text, ok } = formatReports(reports);
    console.log(`backend ${opts.backend}, ${opts.dtype}${opts.composed ? ', composed path' : ''}`);
    console.log(text);
    process.exitCode = ok ? 0 : 1;
  });

program.parseAsync();
