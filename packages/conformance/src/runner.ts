import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getBackend, setBackend } from '@recur/tensor';
import { backendNamed, backendSpec } from './backends';
import type { Comparison } from './fixture-tensor';
import { FIXTURES_DIR, REPO_ROOT } from './fixtures';
import { formatOf } from './formats';
import type { CaseOptions } from './layer-case';

export interface FileReport {
  file: string;
  format: string | null;
  group?: string;
  /** Why the case did not run on this backend (a forward-only backend and a training case). */
  skipped?: string;
  results: Comparison[];
  error?: string;
}

/** Every .json fixture below `dir` (the data files beside .onnx models are found by their format). */
export function listFixtureFiles(dir = FIXTURES_DIR): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFixtureFiles(path) : [path];
    })
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function hasFloat64Inputs(json: unknown): boolean {
  const inputs = (json as { inputs?: Record<string, { dtype?: string }> }).inputs ?? {};
  return Object.values(inputs).some((t) => t?.dtype === 'float64');
}

/** Runs the given fixture files (all by default) on a backend; never throws for a failing case. */
export async function runFixtures(
  files: string[],
  options: CaseOptions & { backend?: string } = {},
): Promise<FileReport[]> {
  const previous = getBackend();
  const whole = options.backend ? (backendSpec(options.backend)?.wholeModel ?? false) : false;
  if (options.backend && !whole) setBackend(await backendNamed(options.backend));
  try {
    const reports: FileReport[] = [];
    for (const file of files) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        reports.push({ file, format: null, results: [], error: `cannot read: ${(e as Error).message}` });
        continue;
      }
      const format = formatOf(json, file);
      if (!format) {
        reports.push({ file, format: null, results: [] });
        continue;
      }
      const spec = options.backend ? backendSpec(options.backend) : undefined;
      if (spec && !spec.float64 && !whole && format.name === 'onnx' && hasFloat64Inputs(json)) {
        // The fixture tests check that such a backend refuses float64 feeds with a clear error.
        const skipped = `float64 inputs; backend ${options.backend} has no float64`;
        reports.push({ file, format: format.name, group: format.group?.(json), results: [], skipped });
        continue;
      }
      if (whole && !format.runWholeModel) {
        const skipped = `${format.name} cases train or pack; backend ${options.backend} runs forward cases only`;
        reports.push({ file, format: format.name, results: [], skipped });
        continue;
      }
      try {
        const run =
          whole && format.runWholeModel ? format.runWholeModel(json, file) : format.run(json, { ...options, file });
        reports.push({ file, format: format.name, group: format.group?.(json), results: await run });
      } catch (e) {
        reports.push({
          file,
          format: format.name,
          group: format.group?.(json),
          results: [],
          error: (e as Error).message,
        });
      }
    }
    return reports;
  } finally {
    setBackend(previous);
  }
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/** The report as text, and whether everything that ran passed. */
export function formatReports(reports: FileReport[], root = REPO_ROOT): { text: string; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  let passed = 0;
  let failed = 0;
  for (const r of reports) {
    const name = relative(root, r.file);
    if (r.skipped) {
      lines.push(`n/a   ${name}: ${r.skipped}`);
      continue;
    }
    if (!r.format) {
      // A file in no known format is a failure, never a silent skip.
      lines.push(`FAIL  ${name}: ${r.error ?? 'not in any fixture format the runner knows'}`);
      ok = false;
      failed++;
      continue;
    }
    const bad = r.results.filter((c) => !c.ok);
    const status = r.error ? 'ERROR' : bad.length ? 'FAIL' : 'ok';
    if (r.error || bad.length) ok = false;
    if (r.error || bad.length) failed++;
    else passed++;
    lines.push(`${status.padEnd(5)} ${name} (${r.format})${r.error ? `: ${r.error}` : ''}`);
    for (const c of r.results) {
      lines.push(
        `    ${c.ok ? ' ' : '✗'} ${c.name.padEnd(28)} [${c.shape.join(', ')}]`.padEnd(52) +
          ` max abs ${fmt(c.maxAbsError)}  max rel ${fmt(c.maxRelError)}  (${c.rule})`,
      );
    }
  }
  const groups = new Map<string, [number, number]>();
  for (const r of reports) {
    if (!r.group) continue;
    const [p, n] = groups.get(r.group) ?? [0, 0];
    groups.set(r.group, [p + (!r.error && r.results.every((c) => c.ok) ? 1 : 0), n + 1]);
  }
  if (groups.size) {
    lines.push('', 'passes per operator and opset:');
    for (const [g, [p, n]] of [...groups].sort()) lines.push(`  ${g.padEnd(20)} ${p}/${n}`);
  }
  lines.push('', `${passed} passed, ${failed} failed`);
  return { text: lines.join('\n'), ok };
}
