import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GRU, LSTM, RNN, type TorchRecurrent } from '@recur/layers';
import {
  FormatError,
  LimitError,
  manualSeed,
  numTensors,
  randomNormal,
  type Tensor,
  tensor,
  tidy,
} from '@recur/tensor';
import { RecurrentLM } from '@recur/train';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel, node, tensorProto, valueInfo } from './builder';
import { exportOnnx } from './export';
import { OnnxModel } from './model';
import { loadOnnxFile } from './node';

/** The error `f` throws (the test fails when it throws nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

import { onnx } from './proto';

const FIXTURES = resolve(__dirname, '../../../fixtures');

async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>, int64 = new Set<string>()) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    ortFeeds[k] = int64.has(k)
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from(Array.from(t.dataSync() as Int32Array), (v) => BigInt(v)),
          [...t.shape],
        )
      : new ort.Tensor(t.dtype === 'int32' ? 'int32' : 'float32', t.dataSync() as Float32Array, [...t.shape]);
  }
  const out = await session.run(ortFeeds);
  await session.release();
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('export → onnxruntime-node equals recur', () => {
  const configs: [string, () => TorchRecurrent][] = [];
  for (const [kind, Make] of [
    ['RNN', RNN],
    ['LSTM', LSTM],
    ['GRU', GRU],
  ] as const) {
    for (const numLayers of [1, 2]) {
      for (const bidirectional of [false, true]) {
        configs.push([
          `${kind} ${numLayers} layer(s)${bidirectional ? ' bidirectional' : ''}`,
          () => new Make(4, 5, { numLayers, bidirectional, batchFirst: true }),
        ]);
      }
    }
  }
  for (const [name, make] of configs) {
    for (const withLengths of [false, true]) {
      it(`${name}${withLengths ? ' with sequence_lens' : ''}`, async () => {
        manualSeed(1);
        const layer = make();
        const x = randomNormal([3, 6, 4], 0, 1, { seed: 2 });
        const lengths = tensor([6, 2, 4], { dtype: 'int32' });
        const mine = layer.forward(x, withLengths ? { seqLengths: lengths } : {});
        const bytes = exportOnnx(layer, { sequenceLens: withLengths });
        const out = await runOrt(bytes, withLengths ? { input: x, sequence_lens: lengths } : { input: x });
        expect(maxDiff(out.output.data as Float32Array, mine.output.dataSync())).toBeLessThan(1e-5);
        expect(maxDiff(out.h_n.data as Float32Array, mine.hN.dataSync())).toBeLessThan(1e-5);
        // recur's interpreter runs its own export too.
        const model = OnnxModel.load(bytes);
        const again = model.run(withLengths ? { input: x, sequence_lens: lengths } : { input: x });
        expect(maxDiff(again.output.dataSync(), mine.output.dataSync())).toBeLessThan(1e-5);
        model.dispose();
      });
    }
  }

  it('a RecurrentLM exports with metadata and runs the same', async () => {
    manualSeed(4);
    const lm = new RecurrentLM({ vocabSize: 9, embeddingDim: 3, hiddenSize: 6, cell: 'GRU' });
    const ids = tensor([[1, 2, 3, 4, 8]], { dtype: 'int32' });
    const logits = lm.forward(ids).logits;
    const bytes = exportOnnx(lm, { metadata: { vocab: JSON.stringify(['a', 'b']) } });
    const model = OnnxModel.load(bytes);
    expect(model.metadata.vocab).toBe('["a","b"]');
    expect(model.metadata.producer).toBe('recur');
    const out = await runOrt(bytes, { tokens: ids }, new Set(['tokens']));
    expect(maxDiff(out.output.data as Float32Array, logits.dataSync())).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('the legacy PyTorch exports at other batch and sequence sizes, against onnxruntime-node', () => {
  for (const name of ['ts_lstm_1l', 'ts_gru_bi', 'ts_charlm_lstm']) {
    it(name, async () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'torch', `${name}.onnx`)));
      const model = OnnxModel.load(bytes);
      for (const [B, T] of [
        [1, 3],
        [4, 9],
      ]) {
        const input = model.inputs[0];
        const feed =
          input.dtype === 'int64'
            ? tensor(
                Array.from({ length: B * T }, (_, i) => (i * 7) % 20),
                { shape: [B, T], dtype: 'int32' },
              )
            : randomNormal([B, T, input.shape[2] as number], 0, 1, { seed: B * 10 + T });
        const mine = model.run({ [input.name]: feed });
        const ref = await runOrt(bytes, { [input.name]: feed }, new Set(input.dtype === 'int64' ? [input.name] : []));
        for (const o of model.outputs)
          expect(maxDiff(mine[o.name].dataSync(), ref[o.name].data as Float32Array)).toBeLessThan(1e-5);
      }
      model.dispose();
    });
  }
});

describe('malformed models are clear errors at load', () => {
  const good = () =>
    encodeModel({
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [valueInfo('x', 'float32', ['n'])],
      outputs: [valueInfo('y', 'float32', ['n'])],
      initializers: [tensorProto('w', tensor([1, 2]))],
    });

  it('a good model loads and runs', () => {
    const m = OnnxModel.load(good());
    expect(Array.from(m.run({ x: tensor([1, 1]) }).y.dataSync())).toEqual([2, 3]);
    m.dispose();
  });

  it('truncated files and random bytes', () => {
    const bytes = good();
    expect(() => OnnxModel.load(bytes.slice(0, bytes.length - 7), { name: 'cut.onnx' })).toThrow(
      /cut\.onnx: not a valid ONNX protobuf .*truncated/,
    );
    const noise = Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256);
    expect(() => OnnxModel.load(noise, { name: 'noise.onnx' })).toThrow(/noise\.onnx: /);
    expect(() => OnnxModel.load(new Uint8Array(0))).toThrow(/the file is empty/);
  });

  it('a cycle, a missing initializer, an unsupported operator', () => {
    const parts = (nodes: onnx.INodeProto[], initializers: onnx.ITensorProto[] = []) =>
      encodeModel({
        nodes,
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
        initializers,
      });
    expect(() =>
      OnnxModel.load(
        parts([node('Add', ['x', 'b'], ['a']), node('Relu', ['a'], ['b']), node('Identity', ['a'], ['y'])]),
      ),
    ).toThrow(/the graph has a cycle through node\(s\) 'Add_a', 'Relu_b'/);
    expect(() => OnnxModel.load(parts([node('Add', ['x', 'w'], ['y'])]))).toThrow(
      /node 'Add_y' \(Add\) reads 'w', which is no input, initializer or node output \(missing initializer\?\)/,
    );
    expect(() => OnnxModel.load(parts([node('Hardmax', ['x'], ['y'])]))).toThrow(
      /operator Hardmax \(node 'Hardmax_y', opset 17\) is not supported/,
    );
    for (const op of ['Loop', 'Scan', 'If'])
      expect(() => OnnxModel.load(parts([node(op, ['x'], ['y'])]))).toThrow(
        new RegExp(
          `operator ${op} \\(node '${op}_y', opset 17\\) is not supported: recur runs graphs without control flow`,
        ),
      );
  });

  it('a tensor that declares 10^12 elements is refused before anything is allocated', () => {
    const huge = onnx.TensorProto.create({ name: 'w', dims: [1000000, 1000000], dataType: 1 });
    const bytes = encodeModel({
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [valueInfo('x', 'float32', [2])],
      outputs: [valueInfo('y', 'float32', [2])],
      initializers: [huge],
    });
    expect(() => OnnxModel.load(bytes)).toThrow(
      /tensor 'w': \[1000000, 1000000\] is 1,000,000,000,000 elements, over the limit of 268,435,456/,
    );
    expect(() => OnnxModel.load(bytes)).toThrow(LimitError);
  });

  it('an external data file that is too short', () => {
    const ext = onnx.TensorProto.create({
      name: 'w',
      dims: [4],
      dataType: 1,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '0' },
        { key: 'length', value: '16' },
      ],
    });
    const bytes = encodeModel({
      nodes: [node('Add', ['x', 'w'], ['y'])],
      inputs: [valueInfo('x', 'float32', [4])],
      outputs: [valueInfo('y', 'float32', [4])],
      initializers: [ext],
    });
    const reader = (location: string, offset: number, length?: number) => {
      throw new Error(`no such file ${location} (${offset}, ${length})`);
    };
    expect(() => OnnxModel.load(bytes, { readExternal: reader, name: 'm.onnx' })).toThrow(
      /m\.onnx: tensor 'w': reading external data 'w\.bin' failed: no such file w\.bin \(0, 16\)/,
    );
    expect(() => OnnxModel.load(bytes)).toThrow(/stored in external file 'w\.bin', but no folder was given/);
    const dir = mkdtempSync(join(tmpdir(), 'recur-ext-'));
    writeFileSync(join(dir, 'm.onnx'), bytes);
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(8));
    const short = thrown(() => loadOnnxFile(join(dir, 'm.onnx')));
    expect(short).toBeInstanceOf(FormatError);
    expect(short.message).toMatch(/external data 'w\.bin' has 8 bytes, the model asks for bytes 0\.\.16/);
  });

  it('external data outside the model folder (.., absolute, symlink) and bad offsets are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-ext-'));
    const withLocation = (location: string, offset = '0', length = '16') =>
      encodeModel({
        nodes: [node('Identity', ['w'], ['y'])],
        inputs: [],
        outputs: [valueInfo('y', 'float32', [4])],
        initializers: [
          onnx.TensorProto.create({
            name: 'w',
            dims: [4],
            dataType: 1,
            dataLocation: 1,
            externalData: [
              { key: 'location', value: location },
              { key: 'offset', value: offset },
              { key: 'length', value: length },
            ],
          }),
        ],
      });
    const load = (bytes: Uint8Array) => {
      writeFileSync(join(dir, 'm.onnx'), bytes);
      return thrown(() => loadOnnxFile(join(dir, 'm.onnx')));
    };
    for (const [location, message] of [
      ['../../../../etc/os-release', /'\.\.\/\.\.\/\.\.\/\.\.\/etc\/os-release' is outside the model's folder/],
      ['/etc/os-release', /'\/etc\/os-release' is outside the model's folder/],
      ['sub/../../x.bin', /is outside the model's folder/],
      ['file:///etc/os-release', /is outside the model's folder/],
    ] as const) {
      const e = load(withLocation(location));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
    }
    symlinkSync('/etc/os-release', join(dir, 'link.bin'));
    const link = load(withLocation('link.bin'));
    expect(link).toBeInstanceOf(FormatError);
    expect(link.message).toMatch(/'link\.bin' resolves to .*, outside the model's folder/);
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(32));
    const negative = load(withLocation('w.bin', '-1'));
    expect(negative).toBeInstanceOf(FormatError);
    expect(negative.message).toMatch(/external data offset should be a non-negative integer, got "-1"/);
    expect(load(withLocation('w.bin', '0', '12')).message).toMatch(
      /external data length 12 does not match 4 elements of type 1 \(16 bytes\)/,
    );
    expect(load(withLocation('w.bin', '24')).message).toMatch(/has 32 bytes, the model asks for bytes 24\.\.40/);
    writeFileSync(join(dir, 'm.onnx'), withLocation('w.bin', '8'));
    const ok = loadOnnxFile(join(dir, 'm.onnx'));
    expect(ok.initializers.get('w')?.shape).toEqual([4]);
    ok.dispose();
  });

  it('loading and running leaves no tensors behind', () => {
    const bytes = tidy(() => good());
    const before = numTensors();
    const m = OnnxModel.load(bytes);
    tidy(() => {
      m.run({ x: tensor([1, 1]) });
    });
    m.dispose();
    expect(numTensors()).toBe(before);
  });
});
