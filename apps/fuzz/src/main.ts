/**
 * pnpm fuzz — seeded mutations of recur's vendored model files, each case in a child process
 * with a time limit, every outcome classified. Exits 1 when any case crashed, hung, ended in a
 * raw engine error, or was accepted although it breaks its format's rules.
 *
 *   pnpm fuzz                                   1,000 cases over all targets
 *   pnpm fuzz --target onnx --cases 10000       the full ONNX run
 *   pnpm fuzz --target safetensors --cases 2000
 */
import { Command } from 'commander';
import { DEFAULT_SLICE } from './default-slice';
import { fuzzTarget, type TargetReport } from './run-fuzz';
import { TARGETS } from './targets';

function table(reports: TargetReport[]): string {
  const rows = reports.map((r) => {
    const c = r.counts;
    return `| ${r.target} | ${r.cases} | ${c.clean} | ${c.accepted} | ${c.raw} | ${c.crash} | ${c.hang} | ${c.invalid} | ${(r.ms / 1000).toFixed(1)} |`;
  });
  return [
    '| target | cases | clean error | accepted | raw error | crash | hang | accepted but invalid | seconds |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

const program = new Command()
  .name('recur-fuzz')
  .option('--target <name>', `one of ${Object.keys(TARGETS).join(', ')} (default: all)`)
  .option('--cases <n>', 'cases (per target when --target is given)', (v) => Number(v))
  .option('--seed <n>', 'seed', (v) => Number(v), 1)
  .option('--timeout <ms>', 'per-case time limit', (v) => Number(v), 10_000)
  .option('--jobs <n>', 'child processes per target', (v) => Number(v), 2)
  .option('--kinds', 'list the kinds of clean errors the cases ran into, most frequent first')
  .action(
    async (o: { target?: string; cases?: number; seed: number; timeout: number; jobs: number; kinds?: boolean }) => {
      if (o.target && !TARGETS[o.target]) throw new Error(`unknown target '${o.target}'`);
      const plan: [string, number][] = o.target
        ? [[o.target, o.cases ?? 1000]]
        : Object.entries(DEFAULT_SLICE).map(([t, n]) => [t, o.cases ? Math.round((n * o.cases) / 1000) : n]);
      const reports: TargetReport[] = [];
      for (const [target, cases] of plan) {
        let last = 0;
        const r = await fuzzTarget(target, cases, {
          seed: o.seed,
          timeoutMs: o.timeout,
          jobs: o.jobs,
          onCase: (t, done, total) => {
            if (process.stderr.isTTY && Date.now() - last > 500) {
              last = Date.now();
              process.stderr.write(`\r${t}: ${done}/${total}`);
            }
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        reports.push(r);
      }
      console.log(`recur fuzz — seed ${o.seed}, node ${process.version}\n`);
      console.log(table(reports));
      if (o.kinds) {
        for (const r of reports) {
          console.log(`\n${r.target}: clean errors by kind`);
          for (const [k, n] of [...r.kinds].sort((a, b) => b[1] - a[1]).slice(0, 30))
            console.log(`  ${String(n).padStart(5)}  ${k}`);
        }
      }
      const findings = reports.flatMap((r) => r.findings);
      for (const f of findings.slice(0, 40))
        console.log(`  ${f.outcome} ${f.target} #${f.index} (${f.seed}): ${f.message}`);
      if (findings.length > 40) console.log(`  … and ${findings.length - 40} more`);
      process.exitCode = findings.length ? 1 : 0;
    },
  );

program.parseAsync();
