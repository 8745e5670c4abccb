import { JsBackend } from '@recur/backend-js';
import { lmWindows } from '@recur/data';
import { Dense, Embedding, LSTM, Sequential } from '@recur/keras';
import { type Backend, getBackend, manualSeed, RecurError, ready, setBackend, tensor } from '@recur/tensor';
import { Adam, EarlyStopping, evaluate, fit, generate, type History, RecurrentLM, StateCarry } from '@recur/train';
import { describe, expect, it } from 'vitest';

/**
 * backend-js behind the interface a GPU backend has: no synchronous read (values only through
 * `readAsync`, which resolves on a later task) and an `init()` that takes a while. Everything
 * else is backend-js, so a run on it must give backend-js' numbers exactly.
 */
function asyncOnly(): Backend {
  const inner = new JsBackend();
  let started = false;
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'name') return 'async-js';
      if (key === 'read') return undefined;
      if (key === 'readAsync') {
        return async (x: Parameters<JsBackend['read']>[0]) => {
          if (!started) throw new Error('read before init');
          await new Promise((r) => setTimeout(r, 0));
          return inner.read(x).slice();
        };
      }
      if (key === 'init') {
        return async () => {
          await new Promise((r) => setTimeout(r, 5));
          started = true;
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(inner) : v;
    },
  }) as Backend;
}

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(8);
const VOCAB = [...new Set(TEXT)].sort();
const IDS = [...TEXT].map((c) => VOCAB.indexOf(c));

/** A char-LM trained by fit with truncated BPTT, validation, clipping and early stopping; then a sample. */
async function trainLM(): Promise<{ history: History; sample: number[]; valLoss: number }> {
  manualSeed(11);
  const lm = new RecurrentLM({ vocabSize: VOCAB.length, embeddingDim: 5, hiddenSize: 12, cell: 'LSTM' });
  const carry = new StateCarry();
  const history = await fit({
    model: lm,
    optimizer: new Adam(lm.parameters(), { lr: 0.02 }),
    epochs: 4,
    train: () => lmWindows(IDS, { batchSize: 4, seqLen: 12 }),
    validation: () => lmWindows(IDS.slice(0, 60), { batchSize: 2, seqLen: 12 }),
    loss: (w, { training }) => {
      const out = lm.loss(w.x, w.y, { state: training ? carry.take(w.index === 0) : undefined });
      if (training) carry.put(out.state);
      return { loss: out.loss, count: w.y.size };
    },
    clipGradNorm: 1,
    callbacks: [new EarlyStopping({ patience: 5 })],
  });
  carry.reset();
  const sample = await generate(lm, [1, 2, 3], { maxTokens: 12, temperature: 0.9, seed: 5 });
  const { loss: valLoss } = await evaluate(lm, lmWindows(IDS.slice(0, 60), { batchSize: 2, seqLen: 12 }), (w) => ({
    loss: lm.loss(w.x, w.y).loss,
    count: w.y.size,
  }));
  lm.dispose();
  return { history, sample, valLoss };
}

/** A Keras classifier: compile, fit with a validation split and metrics, evaluate, trainOnBatch, predict. */
async function trainKeras() {
  manualSeed(12);
  const model = new Sequential([
    new Embedding({ inputDim: 8, outputDim: 4, inputShape: [6] }),
    new LSTM({ units: 6 }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tensor(
    Array.from({ length: 40 * 6 }, (_, i) => (i * 5 + Math.floor(i / 6)) % 8),
    { shape: [40, 6], dtype: 'int32' },
  );
  const y = tensor(
    Array.from({ length: 40 }, (_, i) => i % 3),
    { shape: [40, 1] },
  );
  const history = await model.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.25, verbose: 0, seed: 1 });
  const evaluated = await model.evaluate(x, y, { batchSize: 16, returnDict: true });
  const onBatch = await model.trainOnBatch(x, y);
  const predicted = Array.from(await (model.predict(x) as ReturnType<typeof tensor>).data());
  model.dispose();
  return { history: { epoch: history.epoch, history: history.history }, evaluated, onBatch, predicted };
}

describe('a backend that reads only asynchronously (as a GPU does) trains', () => {
  it('refuses synchronous reads and use before it has started, with errors that say what to do', async () => {
    const previous = getBackend();
    const b = asyncOnly();
    try {
      setBackend(b);
      expect(() => tensor([1, 2])).toThrow(/backend 'async-js' is still starting; await ready\(\)/);
      await ready();
      const t = tensor([1, 2, 3]);
      expect(() => t.dataSync()).toThrow(RecurError);
      expect(() => t.dataSync()).toThrow(/reads only asynchronously; use await tensor.data\(\)/);
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
      expect(await t.array()).toEqual([1, 2, 3]);
      t.dispose();
    } finally {
      setBackend(previous);
    }
  });

  it("fit, evaluate and generate (PyTorch door) give backend-js' numbers exactly", async () => {
    const want = await trainLM();
    const previous = getBackend();
    setBackend(asyncOnly());
    await ready();
    try {
      const got = await trainLM();
      // Every logged value but the wall-clock time.
      const { elapsedMs: _a, ...gotLogs } = got.history.history;
      const { elapsedMs: _b, ...wantLogs } = want.history.history;
      expect(gotLogs).toEqual(wantLogs);
      expect(Object.keys(gotLogs)).toEqual(['loss', 'perplexity', 'lr', 'val_loss', 'val_perplexity']);
      expect(got.history.epoch).toEqual(want.history.epoch);
      expect(got.history.history.loss.at(-1)).toBeLessThan(got.history.history.loss[0]);
      expect(got.sample).toEqual(want.sample);
      expect(got.valLoss).toBe(want.valLoss);
    } finally {
      setBackend(previous);
    }
  }, 60_000);

  it("Keras' fit (metrics, validation), evaluate, trainOnBatch and predict give backend-js' numbers exactly", async () => {
    const want = await trainKeras();
    const previous = getBackend();
    setBackend(asyncOnly());
    await ready();
    try {
      const got = await trainKeras();
      expect(got).toEqual(want);
      expect(Object.keys(got.history.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    } finally {
      setBackend(previous);
    }
  }, 60_000);
});
