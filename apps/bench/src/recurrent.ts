import { valueAndGradsOf } from '@recur/autograd';
import { compile, release } from '@recur/backend-ort';
import { TfjsBackend } from '@recur/backend-tfjs';
import { GRU, LSTM } from '@recur/layers';
import {
  dispose,
  getBackend,
  keep,
  randomNormal,
  ready,
  registerBackend,
  reshape,
  setBackend,
  slice,
  sum,
  type Tensor,
  tidy,
  toBackend,
} from '@recur/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { gemmFraction, gemmReferenceGflops } from './gemm-reference';
import { JS_VARIANTS, registerJsVariants } from './js-variants';
import { benchModel, ort, ortSession } from './ort';
import { tf, useTfjsBackend } from './tfjs';
import { type Row, timeMedian, timePairs } from './timing';

const I = 128;
const H = 256;
export const SHAPES: [number, number][] = [
  [1, 64],
  [32, 64],
  [32, 256],
];

/** tfjs-layers on tfjs-cpu needs seconds per call at the larger shapes: one timed run there. */
const tfjsBudget = (backend: string, B: number, T: number) => (backend === 'cpu' && B * T > 64 ? [0, 1] : [1500, 3]);

/** Times the input projection and every step's per-gate recurrent products of a layer, on tfjs. */
async function timeProductsOnly(kind: 'lstm' | 'gru', B: number, T: number): Promise<number> {
  const gates = kind === 'lstm' ? 4 : 3;
  const x = tf.randomNormal([B * T, I]);
  const wIh = tf.randomNormal([I, gates * H]);
  const wHh = Array.from({ length: gates }, () => tf.randomNormal([H, H]));
  const h = tf.randomNormal([B, H]);
  const ms = await timeMedian(
    () =>
      tf.tidy(() => {
        tf.matMul(x, wIh).dataSync();
        for (let s = 0; s < T; s++) for (const w of wHh) tf.matMul(h, w);
        tf.matMul(h, wHh[0]).dataSync();
      }),
    1500,
    3,
  );
  tf.dispose([x, wIh, ...wHh, h]);
  return ms;
}

/** The time steps of x [1, T, F], each [1, F]. */
function timeSteps(x: Tensor): Tensor[] {
  const [, T, F] = x.shape;
  return tidy(() => Array.from({ length: T }, (_, t) => keep(reshape(slice(x, [0, t, 0], [1, 1, F]), [1, F]))));
}

/** The steps through `layer.step`, one token per call, carrying the state (what a sampler does). */
function stepThrough(layer: LSTM | GRU, steps: Tensor[]): void {
  let state: { h0: Tensor; c0?: Tensor } | undefined;
  for (const xt of steps) {
    const r = layer.step(xt, state);
    r.output.dataSync();
    r.output.dispose();
    if (state) dispose(state);
    state = { h0: r.hN, c0: r.cN };
  }
  dispose(state);
}

export async function benchRecurrentForward(kind: 'lstm' | 'gru'): Promise<Row[]> {
  const rows: Row[] = [];
  setBackend('js');
  const layer = kind === 'lstm' ? new LSTM(I, H, { batchFirst: true }) : new GRU(I, H, { batchFirst: true });
  const modelPath = benchModel(`bench_${kind}_i128_h256`);
  const session = modelPath ? await ortSession(modelPath, 1) : null;
  const session2 = modelPath ? await ortSession(modelPath, 2) : null;
  await registerJsVariants();
  for (const [B, T] of SHAPES) {
    const workload = `${kind.toUpperCase()} forward ${B}×${T}`;
    const tokens = B * T;
    const add = (contender: string, ms: number | null, note?: string) =>
      rows.push({ workload, contender, ms, rate: ms ? (tokens / ms) * 1000 : undefined, note });
    const x = randomNormal([B, T, I], 0, 1, { seed: 3 });
    for (const { backend, label } of JS_VARIANTS) {
      layer.to(backend);
      await ready(setBackend(backend));
      const xv = toBackend(x, getBackend());
      const [budget, runs] = backend === 'js-typescript' && B > 1 ? [0, 2] : [1500, 5];
      add(label, await timeMedian(() => tidy(() => void layer.forward(xv)), budget, runs));
      xv.dispose();
    }
    layer.to('js');
    setBackend('js');
    if (B === 1) {
      // Token by token: step() per time step against the whole-sequence forward, alternating.
      const steps = timeSteps(x);
      const [whole, stepped] = await timePairs(
        async () => tidy(() => void layer.forward(x).output.dataSync()),
        async () => stepThrough(layer, steps),
        60,
      );
      dispose(steps);
      rows.push({
        workload,
        contender: 'recur backend-js, step() one token at a time',
        ms: stepped,
        rate: (tokens / stepped) * 1000,
        extra: `step() ${((1000 * stepped) / T).toFixed(1)} µs/token = ${(stepped / whole).toFixed(2)} × the whole sequence's ${((1000 * whole) / T).toFixed(1)} µs/step`,
      });
    }

    for (const backend of ['cpu', 'wasm'] as const) {
      if (backend === 'cpu' && B * T > 32 * 64) {
        add(`tfjs-layers on tfjs-${backend}`, null, 'skipped: tens of seconds');
        continue;
      }
      if (!(await useTfjsBackend(backend))) {
        add(`tfjs-layers on tfjs-${backend}`, null, 'unavailable');
        continue;
      }
      const tl =
        kind === 'lstm'
          ? tfl.layers.lstm({ units: H, returnSequences: true, recurrentInitializer: 'glorotNormal' })
          : tfl.layers.gru({ units: H, returnSequences: true, recurrentInitializer: 'glorotNormal' });
      const tx = tf.tensor3d(x.dataSync() as Float32Array, [B, T, I]);
      const [budget, runs] = tfjsBudget(backend, B, T);
      add(
        `tfjs-layers on tfjs-${backend}`,
        await timeMedian(
          () =>
            tf.tidy(() => {
              (tl.apply(tx) as tf.Tensor).dataSync();
            }),
          budget,
          runs,
        ),
      );
      tx.dispose();
      tl.dispose();
    }

    for (const [threads, open] of [
      [1, session],
      [2, session2],
    ] as const) {
      const name = `onnxruntime-node (${threads} thread${threads > 1 ? 's' : ''})`;
      if (!open) {
        add(name, null, 'model missing');
        continue;
      }
      const feed = { x: new ort.Tensor('float32', x.dataSync() as Float32Array, [B, T, I]) };
      add(name, await timeMedian(() => open.run(feed)));
    }
    // recur's own model compiled into one onnxruntime session (backend-ort), 1 thread.
    const compiled = await compile(layer, { intraOpNumThreads: 1 });
    add('recur backend-ort (1 thread)', await timeMedian(async () => dispose(await compiled.run({ input: x }))));
    // recur on TensorFlow.js (wasm): backend-tfjs' fused sequence kernel.
    if (await useTfjsBackend('wasm')) {
      registerBackend('tfjs', () => new TfjsBackend());
      const moved = kind === 'lstm' ? new LSTM(I, H, { batchFirst: true }) : new GRU(I, H, { batchFirst: true });
      moved.to('tfjs');
      await ready(setBackend('tfjs'));
      const xt = toBackend(x, getBackend());
      add('recur backend-tfjs on tfjs-wasm', await timeMedian(() => tidy(() => void moved.forward(xt)), 1500, 2));
      xt.dispose();
      moved.dispose();
      setBackend('js');
      // The same products with nothing around them: a floor for any layer built from tfjs ops.
      add(`tfjs-wasm matMuls alone (${kind} products, no gates)`, await timeProductsOnly(kind, B, T));
    }
    x.dispose();
  }
  await session?.release();
  await session2?.release();
  await release(layer);
  layer.dispose();
  return rows;
}

/** One training step (forward + backward through time), 32×64, LSTM. */
export async function benchLstmTrainStep(): Promise<Row[]> {
  const rows: Row[] = [];
  const [B, T] = [32, 64];
  const workload = `LSTM train step ${B}×${T}`;
  // 3 × the forward's products: the input projection and the recurrent product of every step.
  const flops = 3 * 2 * B * T * 4 * H * (I + H);
  const gemm = await gemmReferenceGflops();
  const add = (contender: string, ms: number | null, note?: string) =>
    rows.push({
      workload,
      contender,
      ms,
      rate: ms ? ((B * T) / ms) * 1000 : undefined,
      note,
      extra: gemmFraction(flops, ms, gemm),
    });
  await registerJsVariants();
  setBackend('js');
  const layer = new LSTM(I, H, { batchFirst: true });
  const x = randomNormal([B, T, I], 0, 1, { seed: 4 });
  for (const { backend, label } of JS_VARIANTS) {
    layer.to(backend);
    await ready(setBackend(backend));
    const xv = toBackend(x, getBackend());
    const params = layer.parameters().map((p) => p.value);
    const [budget, runs] = backend === 'js-typescript' ? [0, 2] : [1500, 5];
    const step = () => tidy(() => void valueAndGradsOf(() => sum(layer.forward(xv).output), params));
    add(label, await timeMedian(step, budget, runs));
    xv.dispose();
  }
  // recur on TensorFlow.js (wasm): backend-tfjs' fused forward and backward.
  if (await useTfjsBackend('wasm')) {
    registerBackend('tfjs', () => new TfjsBackend());
    layer.to('tfjs');
    await ready(setBackend('tfjs'));
    const xv = toBackend(x, getBackend());
    const params = layer.parameters().map((p) => p.value);
    const step = () => tidy(() => void valueAndGradsOf(() => sum(layer.forward(xv).output), params));
    add('recur backend-tfjs on tfjs-wasm', await timeMedian(step, 0, 1));
    xv.dispose();
  }
  layer.to('js');
  setBackend('js');
  add('recur backend-ort', null, 'inference only: training needs backend js or tfjs');
  for (const backend of ['cpu', 'wasm'] as const) {
    if (!(await useTfjsBackend(backend))) {
      add(`tfjs-layers on tfjs-${backend}`, null, 'unavailable');
      continue;
    }
    const tl = tfl.layers.lstm({ units: H, returnSequences: true, recurrentInitializer: 'glorotNormal' });
    const tx = tf.tensor3d(x.dataSync() as Float32Array, [B, T, I]);
    tf.tidy(() => {
      tl.apply(tx);
    });
    const vars = tl.trainableWeights.map((w) => w.read() as tf.Variable);
    const [budget, runs] = backend === 'cpu' ? [0, 1] : [1500, 3];
    add(
      `tfjs-layers on tfjs-${backend}`,
      await timeMedian(
        () =>
          tf.tidy(() => {
            const { grads } = tf.variableGrads(() => tf.sum(tl.apply(tx) as tf.Tensor) as tf.Scalar, vars);
            for (const g of Object.values(grads)) g.dataSync();
          }),
        budget,
        runs,
      ),
    );
    tx.dispose();
    tl.dispose();
  }
  x.dispose();
  layer.dispose();
  return rows;
}
