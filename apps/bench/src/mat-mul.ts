import { OrtModel } from '@recur/backend-ort';
import { TfjsBackend } from '@recur/backend-tfjs';
import { Linear, Sequential } from '@recur/layers';
import { exportOnnx } from '@recur/onnx';
import {
  dispose,
  getBackend,
  matMul,
  randomUniform,
  ready,
  registerBackend,
  reshape,
  setBackend,
  toBackend,
} from '@recur/tensor';
import { JS_VARIANTS, registerJsVariants } from './js-variants';
import { ort, ortSession } from './ort';
import { tf, useTfjsBackend } from './tfjs';
import { type Row, timeMedian } from './timing';

/** The matMul shapes of the foundation issue: [M×K]·[K×N], float32. */
export const MATMUL_SHAPES: [number, number, number][] = [
  [32, 384, 1024],
  [2048, 128, 1024],
  [1024, 1024, 1024],
];

function naive(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      c[i * N + j] = s;
    }
  return c;
}

export async function benchMatMul(): Promise<Row[]> {
  const rows: Row[] = [];
  await registerJsVariants();
  setBackend('js');
  for (const [M, K, N] of MATMUL_SHAPES) {
    const workload = `[${M}×${K}]·[${K}×${N}]`;
    const flops = 2 * M * K * N;
    const add = (contender: string, ms: number | null, note?: string) =>
      rows.push({ workload, contender, ms, rate: ms ? flops / ms / 1e6 : undefined, note });

    const a = randomUniform([M, K], -1, 1, { seed: 1 });
    const b = randomUniform([K, N], -1, 1, { seed: 2 });
    for (const { backend, label } of JS_VARIANTS) {
      await ready(setBackend(backend));
      const [av, bv] = [toBackend(a, getBackend()), toBackend(b, getBackend())];
      add(label, await timeMedian(() => matMul(av, bv).dispose()));
      dispose([av, bv]);
    }
    setBackend('js');

    for (const backend of ['cpu', 'wasm'] as const) {
      if (!(await useTfjsBackend(backend))) {
        add(`tfjs-backend-${backend}`, null, 'unavailable');
        continue;
      }
      const ta = tf.tensor2d(a.dataSync() as Float32Array, [M, K]);
      const tb = tf.tensor2d(b.dataSync() as Float32Array, [K, N]);
      add(
        `tfjs-backend-${backend}`,
        await timeMedian(
          () => {
            const c = tf.matMul(ta, tb);
            c.dataSync();
            c.dispose();
          },
          1500,
          3,
        ),
      );
      ta.dispose();
      tb.dispose();
    }

    // recur's own matMul op on TensorFlow.js (wasm).
    if (await useTfjsBackend('wasm')) {
      registerBackend('tfjs', () => new TfjsBackend());
      await ready(setBackend('tfjs'));
      const [av, bv] = [toBackend(a, getBackend()), toBackend(b, getBackend())];
      add(
        'recur backend-tfjs on tfjs-wasm',
        await timeMedian(
          () => {
            const c = matMul(av, bv);
            c.dataSync();
            c.dispose();
          },
          1500,
          3,
        ),
      );
      dispose([av, bv]);
      setBackend('js');
    }

    // onnxruntime runs graphs, not ops: a bias-free Linear exported to one MatMul node, run by
    // recur's OrtModel and by a raw session on the same bytes, both on one thread.
    const linear = new Sequential([new Linear(K, N, { bias: false })]);
    const bytes = exportOnnx(linear, { inputSize: K });
    const raw = await ortSession(bytes, 1);
    const compiled = await OrtModel.fromOnnx(bytes, { intraOpNumThreads: 1 });
    const a3 = reshape(a, [1, M, K]);
    const feed = { input: new ort.Tensor('float32', a.dataSync() as Float32Array, [1, M, K]) };
    add('onnxruntime-node (1 thread, MatMul graph)', await timeMedian(() => raw.run(feed)));
    add(
      'recur backend-ort (1 thread, same graph)',
      await timeMedian(async () => dispose(Object.values(await compiled.run({ input: a3 })))),
    );
    await raw.release();
    await compiled.release();
    dispose([a3]);
    linear.dispose();

    if (M * K * N <= 32 * 384 * 1024) {
      const av = a.dataSync() as Float32Array;
      const bv = b.dataSync() as Float32Array;
      add('naive JS triple loop', await timeMedian(() => naive(av, bv, M, K, N), 1000, 3));
    }
    a.dispose();
    b.dispose();
  }
  return rows;
}
