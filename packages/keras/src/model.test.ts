import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { argMax, numTensors, oneHot, randomUniform, type Tensor, tensor, tidy } from '@recur/tensor';
import { describe, expect, it, vi } from 'vitest';
import * as keras from './index';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function maxDiff(a: Tensor, b: Tensor | number[]): number {
  const x = a.dataSync();
  const y = Array.isArray(b) ? b : b.dataSync();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** The walk-through's custom cell: h' = tanh(x·W + h·U + b), built once. */
class MinimalRNNCell extends keras.Cell {
  static readonly className = 'MinimalRNNCell';
  readonly stateSize: number[];
  readonly outputSize: number;
  constructor(readonly config: { units: number; name?: string }) {
    super({ name: config.name });
    this.stateSize = [config.units];
    this.outputSize = config.units;
  }
  override build(inputShape: readonly (number | null)[]): void {
    this.addWeight('kernel', [inputShape[inputShape.length - 1] as number, this.outputSize], 'glorotUniform');
    this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal');
    this.addWeight('bias', [this.outputSize], 'zeros');
    super.build(inputShape);
  }
  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    return tidy(() => {
      const { add, matMul, tanh } = tensorOps;
      const out = tanh(
        add(add(matMul(x, this.weight('kernel')), matMul(h, this.weight('recurrent_kernel'))), this.weight('bias')),
      );
      return [out, [out]];
    });
  }
  override getConfig() {
    return { ...super.getConfig(), units: this.outputSize };
  }
}

import * as tensorOps from '@recur/tensor';

describe('the Keras "hello" walk-through, in recur spelling', () => {
  const hello = fixture('keras/keras_hello_rnn.json');
  const w = hello.weights;
  const ids = hello.input_text.map((c: string) => hello.vocab.indexOf(c));
  const inputVecs = () => oneHot(tensor([ids], { dtype: 'int32' }), 5);

  for (const [label, makeCell] of [
    ['a custom cell', () => new MinimalRNNCell({ units: 3 })],
    ['SimpleRNNCell', () => new keras.SimpleRNNCell({ units: 3 })],
  ] as const) {
    it(`${label}: Input → RNN(cell) → Dense(softmax), setWeights on the model, predict → e l l o <EOS>`, () => {
      const inputs = keras.Input({ shape: [5, 5] });
      const hidden = new keras.RNN(makeCell(), { returnSequences: true }).apply(inputs);
      const output = new keras.Dense({ units: 5, activation: 'softmax' }).apply(hidden);
      const model = new keras.Model({ inputs, outputs: output });
      model.setWeights([w['rnn.kernel'], w['rnn.recurrent_kernel'], w['rnn.bias'], w['dense.kernel'], w['dense.bias']]);
      const x = inputVecs();
      const before = numTensors();
      // One output: predict's type is Tensor, no cast needed.
      const probs: Tensor = model.predict(x);
      expect(numTensors()).toBe(before + 1);
      const chars = tidy(() => Array.from(argMax(probs, -1).dataSync())).map((i) => hello.vocab[i]);
      expect(chars).toEqual(hello.expected.argmax_chars);
      // The hidden states and logits match the walk-through's hand computation.
      const logitModel = new keras.Model({ inputs, outputs: hidden });
      const h = logitModel.predict(x) as Tensor;
      expect(tidy(() => maxDiff(tensorOps.slice(h, [0, 0, 0], [1, 4, 3]), hello.expected.hidden.flat()))).toBeLessThan(
        1e-6,
      );
      probs.dispose();
      h.dispose();
      expect(numTensors()).toBe(before);
      // summary() works without being told the shape: 27 + 20 parameters.
      expect(model.countParams()).toBe(47);
      expect(model.summary()).toMatch(/Total params: 47/);
      expect(model.summary()).toMatch(/Connected to/);
    });
  }

  it('a custom cell is built once: weights set before a call survive it, and it trains', async () => {
    const inputs = keras.Input({ shape: [5, 5] });
    const rnn = new keras.RNN(new MinimalRNNCell({ units: 3 }), { returnSequences: true });
    const model = new keras.Model({
      inputs,
      outputs: new keras.Dense({ units: 5, activation: 'softmax' }).apply(rnn.apply(inputs)),
    });
    model.setWeights([w['rnn.kernel'], w['rnn.recurrent_kernel'], w['rnn.bias'], w['dense.kernel'], w['dense.bias']]);
    const first = model.predict(inputVecs()) as Tensor;
    const second = model.predict(inputVecs()) as Tensor;
    expect(maxDiff(first, second)).toBe(0);
    const kernel = rnn.cell.getWeights()[0].dataSync();
    expect(Array.from(kernel.slice(0, 3)).map((v) => Math.round(v * 10) / 10)).toEqual(w['rnn.kernel'][0]);
    model.compile({
      optimizer: keras.optimizers.sgd({ learningRate: 0.1 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const target = tensor([[4, 3, 2, 1, 0]]);
    const before = rnn.cell.getWeights()[0].dataSync().slice();
    const h = await model.fit(inputVecs(), target, { epochs: 3, verbose: 0 });
    expect(h.history.loss[2]).toBeLessThan(h.history.loss[0]);
    expect(maxDiff(rnn.cell.getWeights()[0], Array.from(before))).toBeGreaterThan(1e-4);
    first.dispose();
    second.dispose();
  });
});

describe('Sequential', () => {
  it('Embedding(5000, 100) → SimpleRNN(128) → Dense(1, sigmoid): 529,441 params and Keras output shapes', () => {
    const shapes = fixture('keras/keras_shapes.json').cases[0];
    const model = new keras.Sequential({
      layers: [
        new keras.Embedding({ inputDim: 5000, outputDim: 100, inputShape: [null] }),
        new keras.SimpleRNN({ units: 128 }),
        new keras.Dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    expect(model.countParams()).toBe(shapes.params.total);
    const rows = model.summaryRows();
    expect(rows.map((r) => r.params)).toEqual([shapes.params.embedding, shapes.params.simple_rnn, shapes.params.dense]);
    expect(rows.map((r) => r.outputShape)).toEqual([
      shapes.output_shapes.embedding,
      shapes.output_shapes.simple_rnn,
      shapes.output_shapes.dense,
    ]);
    expect(model.summary()).toMatch(/Total params: 529,441/);
    expect(model.summary()).not.toMatch(/InputLayer/);
    // Printed line by line, as Keras' print_fn and tfjs' printFn receive it; console.log by default.
    const lines: string[] = [];
    const text = model.summary({ print: (line) => lines.push(line) });
    expect(lines.length).toBeGreaterThan(8);
    expect(lines.join('\n')).toBe(text);
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      model.summary();
      expect(spy.mock.calls.map((c) => c[0]).join('\n')).toBe(text);
    } finally {
      spy.mockRestore();
    }
  });

  it('says how to build before it is built, builds on add() once the shape is known, and on first data', () => {
    const model = new keras.Sequential();
    model.add(new keras.LSTM({ units: 4 }));
    expect(model.summary()).toMatch(/not built: give the first layer an inputShape or call build\(shape\)/);
    model.add(new keras.Dense({ units: 2 }));
    const y: Tensor = model.predict(randomUniform([3, 6, 5], -1, 1, { seed: 1 }));
    expect(y.shape).toEqual([3, 2]);
    expect(model.summaryRows().map((r) => r.outputShape)).toEqual([
      [null, 4],
      [null, 2],
    ]);
    y.dispose();
    const built = new keras.Sequential([new keras.Dense({ units: 3, inputShape: [4] })]);
    expect(built.summaryRows()[0].outputShape).toEqual([null, 3]);
    built.add(new keras.Dense({ units: 1 }));
    expect(built.countParams()).toBe(15 + 4);
  });

  it('refuses a layer with several outputs, as Keras does', () => {
    const model = new keras.Sequential([new keras.Dense({ units: 3, inputShape: [null, 4] })]);
    expect(() => model.add(new keras.LSTM({ units: 2, returnState: true }))).toThrow(
      /returns 3 tensors; every layer of a Sequential must have one output/,
    );
    expect(model.layers).toHaveLength(1);
  });
});

describe('the functional API', () => {
  it('several inputs and outputs, a shared layer (one set of weights), a model used as a layer', () => {
    const a = keras.Input({ shape: [4], name: 'a' });
    const b = keras.Input({ shape: [4], name: 'b' });
    const shared = new keras.Dense({ units: 3, name: 'shared' });
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const sum = new keras.Add({ name: 'sum' }).apply([ha, hb]);
    const out1 = new keras.Dense({ units: 2, name: 'out1' }).apply(sum);
    const out2 = new keras.Dense({ units: 1, name: 'out2' }).apply(hb);
    const model = new keras.Model({ inputs: [a, b], outputs: [out1, out2] });
    expect(model.layers.map((l) => l.name)).toEqual(['a', 'b', 'shared', 'sum', 'out1', 'out2']);
    expect(model.countParams()).toBe(15 + 8 + 4);
    const x = randomUniform([2, 4], -1, 1, { seed: 3 });
    const [y1, y2]: Tensor[] = model.predict([x, x]);
    expect(y1.shape).toEqual([2, 2]);
    expect(y2.shape).toEqual([2, 1]);
    const rows = model.summaryRows();
    expect(rows.find((r) => r.name === 'shared')?.outputShape).toBe('multiple');
    expect(rows.find((r) => r.name === 'out1')?.connectedTo).toEqual(['sum[0][0]']);
    expect(rows.find((r) => r.name === 'sum')?.connectedTo).toEqual(['shared[0][0]', 'shared[1][0]']);
    // The model as a layer of another model.
    const c = keras.Input({ shape: [4] });
    const outer = new keras.Model({ inputs: c, outputs: model.apply([c, c]) });
    const [z1] = outer.predict(x);
    expect(maxDiff(z1, y1)).toBeLessThan(1e-6);
    expect(outer.countParams()).toBe(model.countParams());
  });

  it('graph errors name the layers and shapes', () => {
    const a = keras.Input({ shape: [4], name: 'in_a' });
    const b = keras.Input({ shape: [4], name: 'in_b' });
    const y = new keras.Dense({ units: 2, name: 'head' }).apply(a);
    expect(() => new keras.Model({ inputs: [a, b], outputs: y })).toThrow(
      /input 'in_b' \[null,4\] is not connected to any output/,
    );
    expect(() => new keras.Model({ inputs: b, outputs: y })).toThrow(
      /graph disconnected.*'in_a'.*layer 'in_a'|graph disconnected/,
    );
    const dense = new keras.Dense({ units: 2, name: 'narrow' });
    dense.apply(keras.Input({ shape: [3] }));
    expect(() => dense.apply(keras.Input({ shape: [5] }))).toThrow(
      /narrow: expected input with 3 features on the last axis, got \[null,5\]/,
    );
    expect(() => new keras.LSTM({ units: 3, return_sequences: true } as never)).toThrow(
      /unknown option 'return_sequences'; did you mean returnSequences\?/,
    );
  });

  it('initial states as symbolic tensors: encoder returnState → decoder initialState', () => {
    const encIn = keras.Input({ shape: [null, 3] });
    const [, h, c] = new keras.LSTM({ units: 4, returnState: true }).apply(encIn);
    const decIn = keras.Input({ shape: [null, 2] });
    const decoder = new keras.LSTM({ units: 4, returnSequences: true });
    const y = decoder.apply(decIn, { initialState: [h, c] });
    const model = new keras.Model({ inputs: [encIn, decIn], outputs: y });
    const xe = randomUniform([2, 5, 3], -1, 1, { seed: 4 });
    const xd = randomUniform([2, 3, 2], -1, 1, { seed: 5 });
    const got = model.predict([xe, xd]) as Tensor;
    const enc = model.layers.find((l) => l instanceof keras.LSTM && l !== decoder) as keras.LSTM<true>;
    const [, eh, ec] = enc.apply(xe);
    const want = decoder.apply(xd, { initialState: [eh, ec] });
    expect(maxDiff(got, want)).toBeLessThan(1e-6);
  });

  it('getConfig → fromConfig rebuilds the same graph; with the same weights, the same predictions', () => {
    const inputs = keras.Input({ shape: [null], dtype: 'int32' });
    const e = new keras.Embedding({ inputDim: 12, outputDim: 4, maskZero: true }).apply(inputs);
    const bi = new keras.Bidirectional(new keras.GRU({ units: 3, returnSequences: true }), { mergeMode: 'sum' }).apply(
      e,
    );
    const pooled = new keras.GlobalAveragePooling1D().apply(bi);
    const out = new keras.Dense({ units: 2, activation: 'softmax' }).apply(pooled);
    const model = new keras.Model({ inputs, outputs: out, name: 'roundtrip' });
    const copy = keras.Model.fromConfig(model.getConfig(), { deserialize: (s) => keras.deserializeLayer(s) });
    copy.setWeights(model.getWeights());
    const ids = tensor(
      [
        [1, 4, 6, 0],
        [0, 2, 2, 9],
      ],
      { dtype: 'int32' },
    );
    expect(maxDiff(copy.predict(ids) as Tensor, model.predict(ids) as Tensor)).toBeLessThan(1e-7);
    expect(copy.summaryRows()).toEqual(model.summaryRows());
    expect(copy.name).toBe('roundtrip');
  });

  it('mergeMode null returns the two directions separately', () => {
    const x = keras.Input({ shape: [4, 3] });
    const outs = new keras.Bidirectional(new keras.LSTM({ units: 2 }), { mergeMode: null }).apply(x);
    expect(Array.isArray(outs)).toBe(true);
    expect((outs as unknown as keras.SymbolicTensor[]).map((t) => t.shape)).toEqual([
      [null, 2],
      [null, 2],
    ]);
  });
});

describe('stateful models and progress output', () => {
  it('a stateful LSTM carries its state between predict calls until resetStates()', () => {
    const model = new keras.Sequential([
      new keras.LSTM({ units: 3, stateful: true, returnSequences: true, batchInputShape: [2, 3, 4] }),
    ]);
    const whole = new keras.Sequential([
      new keras.LSTM({ units: 3, returnSequences: true, batchInputShape: [2, 6, 4] }),
    ]);
    whole.setWeights(model.getWeights());
    const x = randomUniform([2, 6, 4], -1, 1, { seed: 8 });
    const all = whole.predict(x) as Tensor;
    const first = model.predict(tensorOps.slice(x, [0, 0, 0], [2, 3, 4])) as Tensor;
    const second = model.predict(tensorOps.slice(x, [0, 3, 0], [2, 3, 4])) as Tensor;
    expect(maxDiff(second, tensorOps.slice(all, [0, 3, 0], [2, 3, 3]))).toBeLessThan(1e-6);
    model.resetStates();
    expect(maxDiff(model.predict(tensorOps.slice(x, [0, 0, 0], [2, 3, 4])) as Tensor, first)).toBe(0);
  });

  it('verbose 2 logs one line per epoch with the loss, the metrics and the rate', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (l: string) => lines.push(l);
    try {
      const model = new keras.Sequential([new keras.Dense({ units: 1, inputShape: [2] })]);
      model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
      await model.fit(
        [
          [1, 2],
          [3, 4],
        ],
        [[1], [2]],
        { epochs: 2, verbose: 2 },
      );
    } finally {
      console.log = log;
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - [\d.]+s - \d+ samples\/s - loss: [\d.]+ - mae: [\d.]+$/);
  });
});
