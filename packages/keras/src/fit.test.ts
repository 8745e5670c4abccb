import { JsBackend } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import {
  getBackend,
  manualSeed,
  numTensors,
  randomUniform,
  ready,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@recur/tensor';
import { Adam, fit as lowLevelFit } from '@recur/train';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import * as keras from './index';

/** A small classifier over token ids, with weights fixed by a seed. */
function classifier(seed: number): keras.Sequential {
  manualSeed(seed);
  return new keras.Sequential([
    new keras.Embedding({ inputDim: 12, outputDim: 5, inputShape: [6] }),
    new keras.LSTM({ units: 7 }),
    new keras.Dense({ units: 3, activation: 'softmax' }),
  ]);
}

function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  manualSeed(seed);
  const x = tidy(() =>
    tensor(Array.from(randomUniform([n, 6], 0, 12).dataSync(), Math.floor), { shape: [n, 6], dtype: 'int32' }),
  );
  const v = x.dataSync();
  // The class is the first token mod 3: learnable.
  const y = tensor(
    Array.from({ length: n }, (_, i) => v[i * 6] % 3),
    { shape: [n, 1] },
  );
  return { x, y };
}

describe('fit', () => {
  it('gives the same losses, bit for bit, as the low-level fit loop with the same data and settings', async () => {
    const { x, y } = data(20, 1);
    const a = classifier(5);
    const b = classifier(5);
    a.compile({ optimizer: keras.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const seen: number[] = [];
    await a.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: (_i, logs) => void seen.push(logs?.loss as number) },
    });
    // The same model, data and rule through @recur/train directly.
    const opt = new Adam(b.trainableParameters(), { lr: 0.01, eps: 1e-7 });
    const low: number[] = [];
    const batches = [0, 8, 16].map((s) => [s, Math.min(20, s + 8)]);
    await lowLevelFit({
      model: b,
      optimizer: opt,
      epochs: 2,
      train: () =>
        batches.map(([s, e]) => ({
          x: tensorOps.slice(x, [s, 0], [e - s, -1]),
          y: tensorOps.slice(y, [s, 0], [e - s, -1]),
        })),
      loss: (batch) => {
        const p = b.forward(batch.x) as Tensor;
        const l = tensorOps.mean(keras.sparseCategoricalCrossentropy(batch.y, p));
        return l;
      },
      callbacks: [{ onBatchEnd: (_batch, logs) => void low.push(logs?.loss as number) }],
    });
    expect(seen).toEqual(low);
  });

  it('validationSplit holds out the last fraction before shuffling; val_ values equal evaluate on it', async () => {
    const { x, y } = data(20, 2);
    const model = classifier(6);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(x, y, { epochs: 1, batchSize: 4, validationSplit: 0.25, verbose: 0, seed: 3 });
    const [loss, acc] = (await model.evaluate(
      tensorOps.slice(x, [15, 0], [5, -1]),
      tensorOps.slice(y, [15, 0], [5, -1]),
      {
        batchSize: 4,
      },
    )) as number[];
    expect(h.history.val_loss[0]).toBeCloseTo(loss, 6);
    expect(h.history.val_accuracy[0]).toBeCloseTo(acc, 6);
    expect(h.params.samples).toBe(15);
    expect(h.epoch).toEqual([0]);
  });

  it('sampleWeight and classWeight weight each sample in the loss (Keras: mean of weighted losses)', async () => {
    const { x, y } = data(8, 3);
    const model = classifier(7);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const probs = model.predict(x) as Tensor;
    const p = probs.arraySync() as number[][];
    const t = Array.from(y.dataSync());
    const w = [1, 2, 0, 1, 0.5, 1, 3, 1];
    const per = t.map((c, i) => -Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p[i][c]))));
    const weighted = per.reduce((s, v, i) => s + v * w[i], 0) / 8;
    expect((await model.evaluate(x, y, { sampleWeight: w, batchSize: 8 })) as number).toBeCloseTo(weighted, 5);
    const cw = { 0: 2, 1: 1, 2: 0.5 };
    const byClass = per.reduce((s, v, i) => s + v * cw[t[i] as 0 | 1 | 2], 0) / 8;
    const h = await model.fit(x, y, { classWeight: cw, batchSize: 8, epochs: 1, verbose: 0, shuffle: false });
    expect(h.history.loss[0]).toBeCloseTo(byClass, 5);
    probs.dispose();
  });

  it('takes nested arrays, typed arrays and an async iterable of batches; EarlyStopping ends it', async () => {
    const model = new keras.Sequential([new keras.Dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: keras.optimizers.sgd({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
    const xs = [
      [1, 2],
      [3, 4],
      [5, 6],
      [0, 1],
    ];
    const ys = [[3], [7], [11], [1]];
    const h1 = await model.fit(xs, ys, { epochs: 3, verbose: 0 });
    expect(h1.history.loss).toHaveLength(3);
    const h2 = await model.fit(new Float32Array(xs.flat()), new Float32Array(ys.flat()), { epochs: 1, verbose: 0 });
    expect(h2.history.loss[0]).toBeLessThan(h1.history.loss[0]);
    const source = {
      async *[Symbol.asyncIterator]() {
        yield { xs: xs.slice(0, 2), ys: ys.slice(0, 2) };
        yield [xs.slice(2), ys.slice(2)] as [number[][], number[][]];
      },
    };
    const h3 = await model.fit(source, { epochs: 2, verbose: 0 });
    expect(h3.history.mae).toHaveLength(2);
    const stop = new keras.EarlyStopping({ monitor: 'loss', patience: 0, minDelta: 1e9 });
    const h4 = await model.fit(xs, ys, { epochs: 10, verbose: 0, callbacks: [stop] });
    expect(h4.epoch).toEqual([0, 1]);
    expect(stop.stoppedEpoch).toBe(1);
  });

  it('trainOnBatch, evaluate, predictOnBatch and predict in batches agree', async () => {
    const { x, y } = data(10, 4);
    const model = classifier(8);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const whole = model.predict(x, { batchSize: 10 }) as Tensor;
    const parts = model.predict(x, { batchSize: 3 }) as Tensor;
    const once = model.predictOnBatch(x) as Tensor;
    expect(Array.from(parts.dataSync())).toEqual(Array.from(whole.dataSync()));
    expect(Array.from(once.dataSync())).toEqual(Array.from(whole.dataSync()));
    const [before] = (await model.evaluate(x, y, { batchSize: 10 })) as number[];
    const [batchLoss] = (await model.trainOnBatch(x, y)) as number[];
    expect(batchLoss).toBeCloseTo(before, 6);
    const [after] = (await model.evaluate(x, y, { batchSize: 10 })) as number[];
    expect(after).not.toBe(before);
    expect(model.metricsNames).toEqual(['loss', 'accuracy']);
    expect(await model.evaluate(x, y, { returnDict: true })).toHaveProperty('accuracy');
    for (const t of [whole, parts, once]) t.dispose();
  });

  for (const [name, make] of [
    ['js', () => new JsBackend()],
    ['tfjs', () => new TfjsBackend({ backend: 'cpu' })],
  ] as const) {
    it(`leaves the live-tensor count where it started over 1,000 batches on ${name}`, async () => {
      const previous = getBackend();
      setBackend(make());
      await ready();
      try {
        const model = new keras.Sequential([
          new keras.Embedding({ inputDim: 6, outputDim: 3, inputShape: [4], maskZero: true }),
          new keras.GRU({ units: 4 }),
          new keras.Dense({ units: 1, activation: 'sigmoid' }),
        ]);
        model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'auc', 'precision'] });
        const x = tensor(
          Array.from({ length: 4000 }, (_, i) => (i * 7) % 6),
          { shape: [1000, 4], dtype: 'int32' },
        );
        const y = tensor(
          Array.from({ length: 1000 }, (_, i) => i % 2),
          { shape: [1000, 1] },
        );
        await model.fit(x, y, { epochs: 1, batchSize: 50, verbose: 0 });
        const before = numTensors();
        const tfBefore = tf.memory().numTensors;
        await model.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0, validationSplit: 0.01 });
        expect(numTensors()).toBe(before);
        if (name === 'tfjs') expect(tf.memory().numTensors).toBe(tfBefore);
        model.dispose();
        x.dispose();
        y.dispose();
      } finally {
        setBackend(previous);
      }
    }, 120_000);
  }
});

describe('Keras spellings and inputs', () => {
  it('initializer names in Keras, class and tfjs spellings draw the same weights', () => {
    const kernels = [
      'glorot_uniform',
      'GlorotUniform',
      'glorotUniform',
      { class_name: 'GlorotUniform', config: { seed: null } },
    ].map((init) => {
      manualSeed(9);
      const d = new keras.Dense({ units: 3, kernelInitializer: init as never, inputDim: 4 });
      return Array.from(d.getWeights()[0].dataSync());
    });
    for (const k of kernels.slice(1)) expect(k).toEqual(kernels[0]);
    const c = new keras.Dense({
      units: 2,
      inputDim: 2,
      kernelInitializer: { class_name: 'Constant', config: { value: 0.1 } },
    });
    expect(Array.from(c.getWeights()[0].dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([
      0.1, 0.1, 0.1, 0.1,
    ]);
  });

  it('Embedding takes whole float ids and names the first that is not', () => {
    const e = new keras.Embedding({ inputDim: 5, outputDim: 2 });
    const a = e.apply(tensor([[1, 2, 4]])) as Tensor;
    const b = e.apply(tensor([[1, 2, 4]], { dtype: 'int32' })) as Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(() => e.apply(tensor([[1, 2.5, 4]]))).toThrow(/token ids must be whole numbers; got 2.5 at flat position 1/);
  });

  it('a mask row with no real step gives the initial state (Keras), not an error', () => {
    tidy(() => {
      const lstm = new keras.LSTM({ units: 3, returnState: true });
      const x = randomUniform([2, 4, 2], -1, 1, { seed: 1 });
      const mask = tensor(
        [
          [1, 1, 0, 0],
          [0, 0, 0, 0],
        ],
        { dtype: 'bool' },
      );
      const h0 = randomUniform([2, 3], -1, 1, { seed: 2 });
      const c0 = zeros([2, 3]);
      const [, h] = lstm.apply(x, { mask, initialState: [h0, c0] });
      expect(Array.from(tensorOps.slice(h, [1, 0], [1, 3]).dataSync())).toEqual(
        Array.from(tensorOps.slice(h0, [1, 0], [1, 3]).dataSync()),
      );
    });
  });

  it('the PyTorch door takes the initial state as the second argument', () => {
    tidy(() => {
      const { GRU, LSTM } = layersTorch;
      const g = new GRU(3, 4, { batchFirst: true });
      const x = randomUniform([2, 5, 3], -1, 1, { seed: 3 });
      const h0 = randomUniform([1, 2, 4], -1, 1, { seed: 4 });
      expect(Array.from(g.forward(x, h0).hN.dataSync())).toEqual(Array.from(g.forward(x, { h0 }).hN.dataSync()));
      const l = new LSTM(3, 4, { batchFirst: true });
      const c0 = randomUniform([1, 2, 4], -1, 1, { seed: 5 });
      expect(Array.from(l.forward(x, [h0, c0]).cN?.dataSync() ?? [])).toEqual(
        Array.from(l.forward(x, { h0, c0 }).cN?.dataSync() ?? []),
      );
      expect(() => g.forward(x, [h0, c0])).toThrow(/\[h0, c0\] is an LSTM's state/);
      expect(() => g.forward(x, { h_0: h0 } as never)).toThrow(/unknown option 'h_0'/);
    });
  });
});

import * as layersTorch from '@recur/layers';
import * as tensorOps from '@recur/tensor';
