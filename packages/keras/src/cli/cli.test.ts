import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../../..');
// The built bin, as a user runs it (the test command builds first).
const cli = resolve(__dirname, '../../dist/cli/main.js');
const run = (...args: string[]) => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm build)`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
};

describe('recur-keras', () => {
  it('inspect prints the summary, inputs, outputs and each weight with how it is stored', () => {
    const r = run('inspect', 'fixtures/tfjs/lstm_float16/model.json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TensorFlow.js model.json/);
    expect(r.stdout).toMatch(/Total params: 1,044/);
    expect(r.stdout).toMatch(/input {2}embedding_Embedding3_input: float32 \[null,5\]/);
    expect(r.stdout).toMatch(/lstm_LSTM6\/kernel\s+\[8, 40\] float16/);
    const k = run('inspect', 'fixtures/keras-files/k3_seq2seq_functional.keras');
    expect(k.status, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/Connected to/);
    expect(k.stdout).toMatch(/lstm_1 \(LSTM\)/);
  });

  it('convert writes ONNX, tfjs and .keras files that load back with the same predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-keras-cli-'));
    for (const out of ['m.onnx', 'tfjs/model.json', 'm.keras', 'm.safetensors']) {
      const r = run('convert', 'fixtures/keras-files/k2_legacy_bigru.h5', join(dir, out));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wrote /);
    }
    const { loadModel } = await import('../index');
    const { tensor } = await import('@recur/tensor');
    const c = JSON.parse(readFileSync(join(root, 'fixtures/keras-files/k2_legacy_bigru.case.json'), 'utf8'));
    const x = tensor(c.inputs[0].data, { shape: c.inputs[0].shape });
    for (const out of ['tfjs/model.json', 'm.keras', 'm.safetensors']) {
      const m = await loadModel(join(dir, out));
      const y = m.predict(x) as { dataSync(): ArrayLike<number> };
      const got = Array.from(y.dataSync());
      got.forEach((v, i) => expect(Math.abs(v - c.outputs[0].data[i])).toBeLessThan(1e-5));
    }
    expect(readFileSync(join(dir, 'm.onnx')).length).toBeGreaterThan(1000);
  });

  it('bad input is one clear line and exit 2, never a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-keras-bad-'));
    writeFileSync(join(dir, 'garbage.keras'), 'not a model');
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Sequential", "config": {"layers": 3}}}');
    for (const [args, message] of [
      [['inspect', join(dir, 'missing.json')], /does not exist/],
      [['inspect', join(dir, 'garbage.keras')], /not a model file recur knows/],
      [['inspect', join(dir, 'model.json')], /a Sequential's config needs a 'layers' list/],
      [['convert', 'fixtures/tfjs/gru_sharded/model.json', join(dir, 'garbage.keras', 'x.onnx')], /cannot write/],
      [
        ['convert', 'fixtures/tfjs/gru_sharded/model.json', join(dir, 'x.onnx'), '--opset', '99'],
        /--opset must be an integer from 13 to 22/,
      ],
      [['frobnicate'], /unknown command/],
    ] as [string[], RegExp][]) {
      const r = run(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
