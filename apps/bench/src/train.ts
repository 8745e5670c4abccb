import { valueAndGradsOf } from '@recur/autograd';
import { TfjsBackend } from '@recur/backend-tfjs';
import { dispose, Rng, ready, registerBackend, setBackend, tensor } from '@recur/tensor';
import { Adam, crossEntropy, RecurrentLM, trainStep } from '@recur/train';
import * as tfl from '@tensorflow/tfjs-layers';
import { gemmFraction, gemmReferenceGflops } from './gemm-reference';
import { JS_VARIANTS, registerJsVariants } from './js-variants';
import { tf, useTfjsBackend } from './tfjs';
import { type Row, timeMedian, timePairs } from './timing';

/**
 * Char-LM training throughput: Embedding(65, 64) → LSTM(256) → Dense(65), B = 32, T = 64, Adam,
 * one full step (forward, backward, update) per batch: `lm.loss` (the head and the loss fused
 * where the backend has the kernel), and on backend-js also `crossEntropy(lm.forward(x).logits)`.
 * FLOPs per step: 3 × the forward's products (backward costs two forwards), 3 · 2BT(4H(E + H) + HV).
 */
export async function benchCharLMTraining(): Promise<Row[]> {
  const [V, E, H, B, T] = [65, 64, 256, 32, 64];
  const flops = 3 * 2 * B * T * (4 * H * (E + H) + H * V);
  const gemm = await gemmReferenceGflops();
  const rng = new Rng(9);
  const ids = Array.from({ length: B * T }, () => rng.int(V));
  const next = Array.from({ length: B * T }, () => rng.int(V));
  const workload = 'char-LM train step 32×64 (Adam)';
  const rows: Row[] = [];
  const add = (contender: string, ms: number | null, note?: string) =>
    rows.push({
      workload,
      contender,
      ms,
      rate: ms ? (B * T * 1000) / ms : undefined,
      note,
      extra: gemmFraction(flops, ms, gemm),
    });

  await registerJsVariants();
  registerBackend('tfjs', () => new TfjsBackend());
  const contenders = [
    ...JS_VARIANTS.map((v) => ({ ...v, composedHead: false })),
    { backend: 'js', label: 'recur backend-js, crossEntropy of lm.forward logits', composedHead: true },
    { backend: 'tfjs', label: 'recur backend-tfjs on tfjs-wasm', composedHead: false },
  ];
  for (const { backend, label, composedHead } of contenders) {
    if (backend === 'tfjs' && !(await useTfjsBackend('wasm'))) {
      add(label, null, 'unavailable');
      continue;
    }
    await ready(setBackend(backend));
    const lm = new RecurrentLM({ vocabSize: V, embeddingDim: E, hiddenSize: H, cell: 'LSTM' });
    const optimizer = new Adam(lm.parameters(), { lr: 1e-3 });
    const x = tensor(ids, { shape: [B, T], dtype: 'int32' });
    const y = tensor(next, { shape: [B, T], dtype: 'int32' });
    const step = () => {
      const { value, grads } = valueAndGradsOf(
        () => (composedHead ? crossEntropy(lm.forward(x).logits, y) : lm.loss(x, y).loss),
        optimizer.params.map((p) => p.value),
      );
      optimizer.step(grads);
      dispose([value, grads]);
    };
    const slow = backend === 'js-typescript' || backend === 'tfjs';
    add(label, await timeMedian(step, slow ? 0 : 3000, slow ? 1 : 3));
    dispose([x, y]);
    optimizer.dispose();
    lm.dispose();
  }
  setBackend('js');
  add('recur backend-ort', null, 'inference only: training needs backend js or tfjs');

  for (const backend of ['cpu', 'wasm'] as const) {
    if (!(await useTfjsBackend(backend))) {
      add(`tfjs-layers on tfjs-${backend}`, null, 'unavailable');
      continue;
    }
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: V, outputDim: E, inputLength: T }),
        tfl.layers.lstm({ units: H, returnSequences: true, recurrentInitializer: 'glorotNormal' }),
        tfl.layers.dense({ units: V }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const tx = tf.tensor2d(ids, [B, T], 'float32');
    const ty = tf.tensor3d(next, [B, T, 1], 'float32');
    try {
      const ms = await timeMedian(
        async () => {
          await model.trainOnBatch(tx, ty);
        },
        backend === 'cpu' ? 0 : 3000,
        backend === 'cpu' ? 1 : 3,
      );
      add(`tfjs-layers on tfjs-${backend}`, ms);
    } catch (e) {
      add(`tfjs-layers on tfjs-${backend}`, null, `fails: ${(e as Error).message.split('\n')[0].slice(0, 70)}`);
    }
    tx.dispose();
    ty.dispose();
    model.dispose();
  }
  return rows;
}

/**
 * The cost of the library's training step around the same update: the char-LM step written by
 * hand (valueAndGradsOf, optimizer.step, nothing read) against `trainStep` (what `fit` and Keras'
 * `fit` run: the step plus its asynchronous reads of the loss and count), alternated in one loop.
 */
export async function benchTrainStepOverhead(): Promise<Row[]> {
  const [V, E, H, B, T] = [65, 64, 256, 32, 64];
  const rng = new Rng(9);
  await ready(setBackend('js'));
  const lm = new RecurrentLM({ vocabSize: V, embeddingDim: E, hiddenSize: H, cell: 'LSTM' });
  const optimizer = new Adam(lm.parameters(), { lr: 1e-3 });
  const x = tensor(
    Array.from({ length: B * T }, () => rng.int(V)),
    { shape: [B, T], dtype: 'int32' },
  );
  const y = tensor(
    Array.from({ length: B * T }, () => rng.int(V)),
    { shape: [B, T], dtype: 'int32' },
  );
  const bare = async () => {
    const { value, grads } = valueAndGradsOf(
      () => lm.loss(x, y).loss,
      optimizer.params.map((p) => p.value),
    );
    optimizer.step(grads);
    dispose([value, grads]);
  };
  const library = async () => {
    await trainStep({ optimizer, loss: () => ({ loss: lm.loss(x, y).loss, count: B * T }) });
  };
  const [tb, tl] = await timePairs(bare, library, 15);
  dispose([x, y]);
  optimizer.dispose();
  lm.dispose();
  const workload = 'char-LM train step 32×64 (Adam)';
  const rate = (ms: number) => (B * T * 1000) / ms;
  return [
    { workload, contender: 'by hand: valueAndGradsOf + optimizer.step', ms: tb, rate: rate(tb) },
    { workload, contender: "trainStep (fit's step, reads asynchronously)", ms: tl, rate: rate(tl) },
  ];
}
