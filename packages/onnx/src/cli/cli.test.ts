import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../../..');
const cli = join(__dirname, 'main.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', cwd: root });

describe('recur-onnx', () => {
  it('inspect lists inputs, outputs, operators with counts and the parameter count', () => {
    const r = run('inspect', 'fixtures/torch/ts_lstm_1l.onnx');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/input {2}x: float32 \[batch, seq, 8\]|input {2}x: float32 \[/);
    expect(r.stdout).toMatch(/operators: .*LSTM ×1/);
    expect(r.stdout).toMatch(/parameters: [\d,]+/);
  });

  it('run feeds JSON inputs and writes the outputs; bad arguments exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-onnx-cli-'));
    try {
      const fixture = JSON.parse(readFileSync(join(root, 'fixtures/torch/ts_lstm_1l.onnx.json'), 'utf8'));
      writeFileSync(join(dir, 'in.json'), JSON.stringify(fixture.inputs));
      const r = run('run', 'fixtures/torch/ts_lstm_1l.onnx', join(dir, 'in.json'), '-o', join(dir, 'out.json'));
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
      const want = fixture.outputs_ort.y.data as number[];
      const got = out.y.data as number[];
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
      expect(run('inspect', join(dir, 'missing.onnx')).status).toBe(2);
      // export: a PyTorch state dict + config (the layer fixture format) to ONNX, then inspect it.
      const exported = join(dir, 'lstm.onnx');
      const e = run('export', 'fixtures/torch/lstm_2l_bi.json', exported);
      expect(e.status, e.stderr).toBe(0);
      expect(run('inspect', exported).stdout).toMatch(/operators: .*LSTM ×2/);
      expect(run('export', 'fixtures/torch/lstm_2l_bi.json', exported, '--opset', 'x').status).toBe(2);
      expect(run('frobnicate').status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
