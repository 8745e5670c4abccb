import { readFileSync } from 'node:fs';
import * as keras from '@recur/keras';
import { Embedding, Sequential } from '@recur/layers';
import { argMax, gather, matMul, numTensors, oneHot, tensor, tidy } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { fixturePath } from './fixtures';

const load = (name: string) => JSON.parse(readFileSync(fixturePath(`keras/${name}`), 'utf8'));

function expectClose(got: ArrayLike<number>, want: number[], digits = 5): void {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, digits));
}

describe('keras_hello_rnn: SimpleRNN(3) + Dense(5) with given weights', () => {
  const hello = load('keras_hello_rnn.json');

  it('reproduces the hidden states, the logits and the argmax characters', () => {
    tidy(() => {
      const rnn = new keras.SimpleRNN({ units: 3, returnSequences: true });
      const dense = new keras.Dense({ units: 5 });
      rnn.setWeights([
        tensor(hello.weights['rnn.kernel']),
        tensor(hello.weights['rnn.recurrent_kernel']),
        tensor(hello.weights['rnn.bias']),
      ]);
      dense.build([null, 3]);
      dense.setWeights([tensor(hello.weights['dense.kernel']), tensor(hello.weights['dense.bias'])]);
      const ids = tensor(
        hello.input_text.map((c: string) => hello.vocab.indexOf(c)),
        { shape: [1, 5], dtype: 'int32' },
      );
      const h = rnn.forward(oneHot(ids, 5)) as ReturnType<typeof tensor>;
      const logits = dense.forward(h);
      expectClose(h.dataSync().slice(0, 12), hello.expected.hidden.flat(), 6);
      expectClose(logits.dataSync().slice(0, 20), hello.expected.logits.flat(), 5);
      const chars = Array.from(argMax(logits, -1).dataSync()).map((i) => hello.vocab[i]);
      expect(chars).toEqual(hello.expected.argmax_chars);
    });
  });
});

describe('keras_bilstm_constant: Bidirectional(LSTM(3)) with constant initializers', () => {
  const fx = load('keras_bilstm_constant.json');
  const make = (returnSequences: boolean) =>
    new keras.Bidirectional(
      new keras.LSTM({
        units: 3,
        returnSequences,
        returnState: true,
        kernelInitializer: { name: 'constant', value: fx.layer.kernel_initializer },
        recurrentInitializer: { name: 'constant', value: fx.layer.recurrent_initializer },
        biasInitializer: { name: 'constant', value: fx.layer.bias_initializer },
      }),
    );

  for (const [key, returnSequences] of [
    ['return_sequences_false', false],
    ['return_sequences_true', true],
  ] as const) {
    it(`${key}: output, forward_h and backward_h`, () => {
      tidy(() => {
        const layer = make(returnSequences);
        const [output, fh, , bh] = layer.forward(tensor(fx.input)) as ReturnType<typeof tensor>[];
        const want = fx.expected[key];
        expectClose(output.dataSync(), want.output.flat(2), 6);
        if (want.forward_h) expectClose(fh.dataSync(), want.forward_h.flat(), 6);
        if (want.backward_h) expectClose(bh.dataSync(), want.backward_h.flat(), 6);
        layer.dispose();
      });
    });
  }
});

describe('keras_shapes: output shapes and parameter counts', () => {
  const fx = load('keras_shapes.json');

  it('Embedding(5000, 100) → SimpleRNN(128) → Dense(1): 500,000 / 29,312 / 129, total 529,441', () => {
    const c = fx.cases[0];
    const model = new Sequential([
      new keras.Embedding({ inputDim: 5000, outputDim: 100 }),
      new keras.SimpleRNN({ units: 128 }),
      new keras.Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const text = model.summary([null, null]);
    expect(model.layers.map((l) => l.numParameters())).toEqual([
      c.params.embedding,
      c.params.simple_rnn,
      c.params.dense,
    ]);
    expect(model.numParameters()).toBe(c.params.total);
    expect(text).toContain('(None, None, 100)');
    expect(text).toContain('(None, 128)');
    expect(text).toContain('(None, 1)');
    expect(text).toContain('Total params: 529,441');
    const shapes = model.layers.reduce<(number | null)[][]>((acc, l) => {
      const prev = acc.length ? acc[acc.length - 1] : [null, null];
      acc.push(
        (l as unknown as { computeOutputShape(s: (number | null)[]): (number | null)[] }).computeOutputShape(prev),
      );
      return acc;
    }, []);
    expect(shapes).toEqual([c.output_shapes.embedding, c.output_shapes.simple_rnn, c.output_shapes.dense]);
    const ids = tensor([[3, 57, 35]], { dtype: 'int32' });
    const before = numTensors();
    const y = model.forward(ids);
    expect(y.shape).toEqual([1, 1]);
    y.dispose();
    expect(numTensors()).toBe(before);
    model.dispose();
  });

  it('Embedding(64, 100) on [[3, 57, 35]]', () => {
    const c = fx.cases[1];
    const e = new keras.Embedding({ inputDim: 64, outputDim: 100 });
    const y = e.forward(tensor([[3, 57, 35]], { dtype: 'int32' }));
    expect(y.shape).toEqual(c.output_shape);
    expect(e.parameters()[0].shape).toEqual(c.weight_shape);
  });

  it('SimpleRNN / LSTM / Bidirectional shapes after Embedding(5, 100)', () => {
    const ids = tensor([[0, 1, 2, 3, 4]], { dtype: 'int32' });
    const emb = new keras.Embedding({ inputDim: 5, outputDim: 100 });
    const x = emb.forward(ids);
    const seq = new keras.SimpleRNN({ units: 64, returnSequences: true, useBias: false });
    expect((seq.forward(x) as ReturnType<typeof tensor>).shape).toEqual(fx.cases[2].output_shape);
    expect(seq.getWeights()[0].shape).toEqual(fx.cases[2].kernel_shape);
    const last = new keras.SimpleRNN({ units: 64, useBias: false });
    expect((last.forward(x) as ReturnType<typeof tensor>).shape).toEqual(fx.cases[3].output_shape);
    const lstm = new keras.LSTM({ units: 64, returnSequences: true, useBias: false });
    expect((lstm.forward(x) as ReturnType<typeof tensor>).shape).toEqual(fx.cases[4].output_shape);
    expect(lstm.getWeights()[0].shape).toEqual(fx.cases[4].kernel_shape);
    const bi = new keras.Bidirectional(new keras.SimpleRNN({ units: 64, useBias: false, returnSequences: true }));
    expect((bi.forward(x) as ReturnType<typeof tensor>).shape).toEqual(fx.cases[5].output_shape);
  });

  it('Dense(2, useBias: false) on one-hot rows selects rows of its kernel, like an embedding lookup', () => {
    tidy(() => {
      const ids = tensor([0, 0, 0, 0, 1, 2, 3, 4, 4, 4], { dtype: 'int32' });
      const x = oneHot(ids, 8);
      expect(x.shape).toEqual(fx.cases[6].output_shape);
      const dense = new keras.Dense({ units: 2, useBias: false });
      const y = dense.forward(x);
      const rows = gather(dense.getWeights()[0], ids, 0);
      expectClose(y.dataSync(), Array.from(rows.dataSync()), 6);
      // and the PyTorch door gives the same with an Embedding holding the same table
      const table = new Embedding(8, 2);
      table.loadStateDict({ weight: dense.getWeights()[0] });
      expectClose(table.forward(ids).dataSync(), Array.from(matMul(x, dense.getWeights()[0]).dataSync()), 6);
    });
  });
});
