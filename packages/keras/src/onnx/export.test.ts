import { Sequential as LayerStack } from '@recur/layers';
import { exportOnnx } from '@recur/onnx';
import { manualSeed, type Tensor, tensor } from '@recur/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Bidirectional, Dense, Embedding, GRU, LSTM, SimpleRNN } from '../index';

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

const CELLS = { SimpleRNN, LSTM, GRU };

describe('Keras-door layers in a layer chain: export → onnxruntime-node equals recur', () => {
  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    for (const cell of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
      it(`Keras Embedding → Bidirectional(${cell}, ${mergeMode}) → Dense, and goBackwards`, async () => {
        manualSeed(3);
        const Layer = CELLS[cell];
        const model = new LayerStack([
          new Embedding({ inputDim: 12, outputDim: 4 }),
          new Bidirectional(new Layer({ units: 5, returnSequences: true }), { mergeMode }),
          new Layer({ units: 3, goBackwards: true, returnSequences: true }),
          new Layer({ units: 3, resetAfter: false }),
          new Dense({ units: 2, activation: 'softmax' }),
        ]);
        const ids = tensor(
          [
            [1, 5, 7, 2],
            [3, 3, 11, 0],
          ],
          { dtype: 'int32' },
        );
        const mine = model.forward(ids);
        const bytes = exportOnnx(model);
        const out = await runOrt(bytes, { tokens: ids }, new Set(['tokens']));
        expect(maxDiff(out.output.data as Float32Array, mine.dataSync())).toBeLessThan(1e-5);
      });
    }
  }
});
