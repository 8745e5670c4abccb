import { valueAndGradsOf } from '@recur/autograd';
import { OrtModel } from '@recur/backend-ort';
import { TfjsBackend } from '@recur/backend-tfjs';
import { packPaddedSequence, padPackedSequence } from '@recur/data';
import { LSTM } from '@recur/layers';
import { exportOnnx } from '@recur/onnx';
import {
  dispose,
  getBackend,
  Rng,
  randomNormal,
  ready,
  registerBackend,
  setBackend,
  sum,
  type Tensor,
  tensor,
  tidy,
  toBackend,
} from '@recur/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { ort, ortSession } from './ort';
import { tf, useTfjsBackend } from './tfjs';
import { type Row, timeMedian, timePairs } from './timing';

const [B, T, I, H] = [32, 64, 128, 256];

/**
 * Packed against padded: LSTM(128 → 256), B = 32, T = 64, lengths uniform in [8, 64] (about 45%
 * padding). The padded run processes every step; the packed one (or one given the lengths) only
 * real tokens. Forward + backward on the backends that train (recur on backend-js and on
 * TensorFlow.js, tfjs-layers with a mask), forward alone on every backend (onnxruntime: the exported
 * graph's `sequence_lens` input, run by recur's OrtModel and by a raw session on the same bytes).
 */
export async function benchPackedVsPadded(): Promise<Row[]> {
  setBackend('js');
  const rng = new Rng(5);
  const lengths = Array.from({ length: B }, () => 8 + rng.int(T - 8 + 1));
  const realTokens = lengths.reduce((a, b) => a + b, 0);
  const padding = `${((1 - realTokens / (B * T)) * 100).toFixed(0)}% padding`;
  const train = `LSTM fwd+bwd 32×64, ${padding}`;
  const infer = `LSTM forward 32×64, ${padding}`;
  const rows: Row[] = [];
  const tokenRatio = realTokens / (B * T);
  // Each contender's padded time, for its packed row's packed / padded column.
  const paddedMs = new Map<string, number>();
  const add = (workload: string, contender: string, ms: number | null, packed: boolean, note?: string) => {
    const base = contender.replace(/, (padded|packed)$/, '');
    if (!packed && ms) paddedMs.set(`${workload}|${base}`, ms);
    const padded = paddedMs.get(`${workload}|${base}`);
    rows.push({
      workload,
      contender,
      ms,
      rate: ms ? ((packed ? realTokens : B * T) * 1000) / ms : undefined,
      note: note ?? (packed ? 'real tokens/s' : undefined),
      extra: packed && ms && padded ? `${(ms / padded).toFixed(2)} (tokens ${tokenRatio.toFixed(2)})` : undefined,
    });
  };

  const layer = new LSTM(I, H, { batchFirst: true });
  const x = randomNormal([B, T, I], 0, 1, { seed: 6 });
  const padded = (input: Tensor) => layer.forward(input).output;
  const packed = (input: Tensor) => {
    const p = packPaddedSequence(input, lengths, { batchFirst: true, enforceSorted: false });
    return padPackedSequence(layer.forward(p).output, { batchFirst: true }).output;
  };
  const both = [
    ['padded', padded, false],
    ['packed', packed, true],
  ] as const;
  registerBackend('tfjs', () => new TfjsBackend());
  for (const [backend, label] of [
    ['js', 'recur backend-js'],
    ['tfjs', 'recur backend-tfjs on tfjs-wasm'],
  ] as const) {
    if (backend === 'tfjs' && !(await useTfjsBackend('wasm'))) continue;
    layer.to(backend);
    await ready(setBackend(backend));
    const xb = toBackend(x, getBackend());
    const params = layer.parameters().map((p) => p.value);
    // Padded and packed alternate, so both see the same machine load and their ratio is fair.
    const pairs = backend === 'js' ? 15 : 2;
    const [paddedStep, packedStep] = both.map(
      ([, forward]) =>
        async () =>
          tidy(() => void valueAndGradsOf(() => sum(forward(xb)), params)),
    );
    const [trainPadded, trainPacked] = await timePairs(paddedStep, packedStep, pairs);
    const [paddedFwd, packedFwd] = both.map(
      ([, forward]) =>
        async () =>
          tidy(() => void forward(xb).dataSync()),
    );
    const [inferPadded, inferPacked] = await timePairs(paddedFwd, packedFwd, 2 * pairs);
    add(train, `${label}, padded`, trainPadded, false);
    add(train, `${label}, packed`, trainPacked, true);
    add(infer, `${label}, padded`, inferPadded, false);
    add(infer, `${label}, packed`, inferPacked, true);
    xb.dispose();
  }
  layer.to('js');
  setBackend('js');

  add(train, 'recur backend-ort', null, false, 'inference only: training needs backend js or tfjs');
  const bytes = exportOnnx(layer, { sequenceLens: true });
  const raw = await ortSession(bytes, 1);
  const model = await OrtModel.fromOnnx(bytes, { intraOpNumThreads: 1 });
  const lens = tensor(lengths, { dtype: 'int32' });
  const feed = {
    input: new ort.Tensor('float32', x.dataSync() as Float32Array, [B, T, I]),
    sequence_lens: new ort.Tensor('int32', Int32Array.from(lengths), [B]),
  };
  add(infer, 'onnxruntime-node (1 thread), sequence_lens', await timeMedian(() => raw.run(feed)), true);
  add(
    infer,
    'recur backend-ort (1 thread, same graph), sequence_lens',
    await timeMedian(async () => dispose(Object.values(await model.run({ input: x, sequence_lens: lens })))),
    true,
  );
  await raw.release();
  await model.release();
  lens.dispose();

  if (await useTfjsBackend('wasm')) {
    // tfjs-layers takes the lengths as a [B, T] mask; it still runs every step.
    const tl = tfl.layers.lstm({ units: H, returnSequences: true, recurrentInitializer: 'glorotNormal' });
    const tx = tf.tensor3d(x.dataSync() as Float32Array, [B, T, I]);
    const mask = tf.tensor2d(
      lengths.flatMap((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 : 0))),
      [B, T],
      'bool',
    );
    const apply = () => tl.apply(tx, { mask }) as tf.Tensor;
    tf.tidy(() => void apply());
    const vars = tl.trainableWeights.map((w) => w.read() as tf.Variable);
    const label = 'tfjs-layers on tfjs-wasm, masked';
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(apply()) as tf.Scalar, vars);
        for (const g of Object.values(grads)) g.dataSync();
      });
    add(train, label, await timeMedian(step, 0, 2), false);
    add(infer, label, await timeMedian(() => tf.tidy(() => void apply().dataSync()), 1500, 3), false);
    tf.dispose([tx, mask]);
    tl.dispose();
  }
  x.dispose();
  layer.dispose();
  return rows;
}
