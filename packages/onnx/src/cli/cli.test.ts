import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('bad input of every kind: one line on stderr, exit 2, no stack trace (unless --debug)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-onnx-cli-'));
    try {
      const good = readFileSync(join(root, 'fixtures/torch/ts_lstm_1l.onnx'));
      const fixture = JSON.parse(readFileSync(join(root, 'fixtures/torch/ts_lstm_1l.onnx.json'), 'utf8'));
      const file = (name: string, bytes: Uint8Array | string) => {
        writeFileSync(join(dir, name), bytes);
        return join(dir, name);
      };
      file('in.json', JSON.stringify(fixture.inputs));
      const short = { ...fixture.inputs, x: { ...fixture.inputs.x, data: fixture.inputs.x.data.slice(1) } };
      const cases: [string[], RegExp][] = [
        [['inspect', file('empty.onnx', new Uint8Array())], /the file is empty/],
        [['inspect', file('trunc.onnx', good.subarray(0, good.length >> 1))], /not a valid ONNX protobuf|truncated/],
        [['inspect', file('text.onnx', 'hello, not a model')], /not a valid ONNX protobuf|has no graph/],
        [['inspect', join(root, 'fixtures/torch/missing.onnx')], /cannot read .*missing\.onnx/],
        [
          ['run', join(root, 'fixtures/torch/ts_lstm_1l.onnx'), file('null.json', 'null')],
          /the inputs should be an object/,
        ],
        [['run', join(root, 'fixtures/torch/ts_lstm_1l.onnx'), file('bad.json', '{')], /not valid JSON/],
        [
          ['run', join(root, 'fixtures/torch/ts_lstm_1l.onnx'), file('short.json', JSON.stringify(short))],
          /values do not fill shape/,
        ],
        [['run', join(root, 'fixtures/torch/ts_lstm_1l.onnx'), file('none.json', '{}')], /has no input 'x'/],
        [
          [
            'run',
            join(root, 'fixtures/torch/ts_lstm_1l.onnx'),
            join(dir, 'in.json'),
            '-o',
            join(dir, 'no/such/dir/out.json'),
          ],
          /cannot write .*out\.json/,
        ],
        [
          ['export', file('layer.json', '{"config": {"kind": "LSTM"}, "params": {}}'), join(dir, 'x.onnx')],
          /config\.input_size should be a positive integer/,
        ],
        [['export', file('layer2.json', '[1, 2]'), join(dir, 'x.onnx')], /expected \{"config"/],
        [
          ['export', 'fixtures/torch/lstm_2l_bi.json', join(dir, 'x.onnx'), '--opset', '99'],
          /--opset must be an integer in 7\.\.22/,
        ],
      ];
      // A model whose external data file is missing.
      mkdirSync(join(dir, 'ext'));
      writeFileSync(join(dir, 'ext', 'm.onnx'), readFileSync(join(root, 'fixtures/torch/dynamo_lstm_1l.onnx')));
      cases.push([['inspect', join(dir, 'ext', 'm.onnx')], /dynamo_lstm_1l\.onnx\.data' it refers to does not exist/]);
      for (const [args, message] of cases) {
        const r = run(...args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(/^recur-onnx: /);
      }
      expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
      const debug = run('--debug', 'inspect', join(dir, 'empty.onnx'));
      expect(debug.status).toBe(2);
      expect(debug.stderr).toMatch(/FormatError.*the file is empty[\s\S]*\n +at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
