import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Outcome } from './outcome';

export interface Finding {
  target: string;
  index: number;
  outcome: Outcome;
  seed: string;
  message: string;
}

export interface TargetReport {
  target: string;
  cases: number;
  counts: Record<Outcome, number>;
  /** Every case that is not a clean error or an accepted valid file. */
  findings: Finding[];
  /** Clean error messages with numbers and names blanked, by count: what the cases ran into. */
  kinds: Map<string, number>;
  ms: number;
}

export interface FuzzOptions {
  seed: number;
  /** Per-case limit; a case past it is a hang. */
  timeoutMs: number;
  /** Workers per target (child processes in parallel). */
  jobs: number;
  onCase?: (target: string, done: number, total: number) => void;
}

const worker = join(import.meta.dirname ?? __dirname, 'worker.ts');

/** Runs cases [from, to) of one target in child processes, restarting one after a crash or a hang. */
function runRange(target: string, from: number, to: number, options: FuzzOptions, report: TargetReport): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), `recur-fuzz-${target}-`));
  return new Promise((resolve) => {
    let next = from;
    const start = (): void => {
      if (next >= to) {
        rmSync(scratch, { recursive: true, force: true });
        resolve();
        return;
      }
      let current = -1;
      let hung = -1;
      let timer: NodeJS.Timeout | undefined;
      const child: ChildProcess = fork(worker, [target, String(options.seed), String(next), String(to), scratch], {
        execArgv: ['--import', 'tsx', '--enable-source-maps', '--max-old-space-size=4096'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr?.on('data', (d) => {
        stderr = (stderr + String(d)).slice(-2000);
      });
      const record = (index: number, outcome: Outcome, seed: string, message: string) => {
        report.counts[outcome]++;
        if (outcome === 'clean') {
          const kind = message
            .replace(/'[^']*'/g, "'…'")
            .replace(/\d+/g, 'N')
            .slice(0, 90);
          report.kinds.set(kind, (report.kinds.get(kind) ?? 0) + 1);
        }
        if (outcome !== 'clean' && outcome !== 'accepted')
          report.findings.push({ target, index, outcome, seed, message });
        options.onCase?.(target, report.counts.clean + report.counts.accepted + report.findings.length, report.cases);
      };
      child.on('message', (m: { type: string; index: number; outcome?: Outcome; seed?: string; message?: string }) => {
        if (m.type === 'start') {
          current = m.index;
          clearTimeout(timer);
          timer = setTimeout(() => {
            hung = current;
            current = -1;
            child.kill('SIGKILL');
            record(hung, 'hang', '?', `no result within ${options.timeoutMs} ms`);
          }, options.timeoutMs);
        } else {
          clearTimeout(timer);
          record(m.index, m.outcome as Outcome, m.seed ?? '?', m.message ?? '');
          current = -1;
          next = m.index + 1;
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (current >= 0) {
          // Died in the middle of a case: a crash (out of memory, an abort).
          record(current, 'crash', '?', `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
          next = current + 1;
        } else if (hung >= 0) next = hung + 1;
        start();
      });
    };
    start();
  });
}

/** Runs `cases` seeded cases of a target; the same seed and count give the same cases. */
export async function fuzzTarget(target: string, cases: number, options: FuzzOptions): Promise<TargetReport> {
  const report: TargetReport = {
    target,
    cases,
    counts: { clean: 0, raw: 0, accepted: 0, invalid: 0, crash: 0, hang: 0 },
    findings: [],
    kinds: new Map(),
    ms: 0,
  };
  const t0 = Date.now();
  const jobs = Math.max(1, Math.min(options.jobs, cases));
  const per = Math.ceil(cases / jobs);
  await Promise.all(
    Array.from({ length: jobs }, (_, j) => runRange(target, j * per, Math.min(cases, (j + 1) * per), options, report)),
  );
  report.findings.sort((a, b) => a.index - b.index);
  report.ms = Date.now() - t0;
  return report;
}
