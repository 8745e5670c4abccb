import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, REPO_ROOT } from './fixtures';

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const cli = join(REPO_ROOT, 'packages', 'conformance', 'src', 'cli.ts');
const run = (...args: string[]) => spawnSync(tsx, [cli, ...args], { encoding: 'utf8', cwd: REPO_ROOT });

describe('pnpm conformance', () => {
  it('passes a layer case and prints the error of every tensor', () => {
    const r = run(fixturePath('torch/gru_1l.json'), '--backend', 'js');
    expect(r.stdout).toMatch(/ok\s+fixtures\/torch\/gru_1l\.json \(layer\)/);
    expect(r.stdout).toMatch(/grad weight_hh_l0\s+\[27, 9\]\s+max abs/);
    expect(r.stdout).toContain('1 passed, 0 failed');
    expect(r.status).toBe(0);
  });

  it('exits non-zero and marks the tensor when a reference disagrees', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-conformance-'));
    try {
      const c = JSON.parse(readFileSync(fixturePath('torch/rnn_tanh_1l.json'), 'utf8'));
      c.outputs.h_n.data[0] += 0.01;
      const file = join(dir, 'broken.json');
      writeFileSync(file, JSON.stringify(c));
      const r = run(file, '--backend', 'js-composed');
      expect(r.stdout).toMatch(/FAIL\s+.*broken\.json/);
      expect(r.stdout).toMatch(/✗ h_n/);
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const backend of ['tfjs', 'tfjs-wasm', 'ort']) {
    it(`passes every fixture on --backend ${backend}`, () => {
      const r = run('--backend', backend);
      expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
      expect(r.status).toBe(0);
    }, 240_000);
  }

  it('rejects an unknown backend with exit code 2', () => {
    const r = run('--backend', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope/);
  });
});
