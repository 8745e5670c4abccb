import { OrtModel } from '@recur/backend-ort';
import { dispose, randomNormal, setBackend } from '@recur/tensor';
import { benchModel, ort, ortSession } from './ort';
import { SHAPES } from './recurrent';
import { type Row, timePairs } from './timing';

/**
 * backend-ort's overhead: the same .onnx file run by a raw InferenceSession (ort tensors in and
 * out) and by recur's OrtModel (recur tensors in and out), both on one thread, runs alternating.
 */
export async function benchOrtOverhead(): Promise<Row[]> {
  const rows: Row[] = [];
  setBackend('js');
  for (const kind of ['lstm', 'gru']) {
    const path = benchModel(`bench_${kind}_i128_h256`);
    if (!path) continue;
    const raw = await ortSession(path, 1);
    const recur = await OrtModel.fromOnnx(path, { intraOpNumThreads: 1 });
    for (const [B, T] of SHAPES) {
      const workload = `${kind.toUpperCase()} ${B}×${T}, ${path.split('/').pop()}`;
      const x = randomNormal([B, T, 128], 0, 1, { seed: 5 });
      const feed = { x: new ort.Tensor('float32', x.dataSync() as Float32Array, [B, T, 128]) };
      const pairs = B * T > 2048 ? 15 : 41;
      const [rawMs, recurMs] = await timePairs(
        () => raw.run(feed),
        async () => dispose(Object.values(await recur.run({ x }))),
        pairs,
      );
      const rate = (ms: number) => ((B * T) / ms) * 1000;
      rows.push({ workload, contender: 'raw InferenceSession', ms: rawMs, rate: rate(rawMs) });
      rows.push({ workload, contender: 'recur backend-ort (OrtModel)', ms: recurMs, rate: rate(recurMs) });
      x.dispose();
    }
    await raw.release();
    await recur.release();
  }
  return rows;
}
