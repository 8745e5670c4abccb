import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { valueAndGradsOf } from '@recur/autograd';
import { dispose, log, mean, mul, oneHot, randomNormal, sub, sum, tensor, tidy } from '@recur/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { liftOnnx } from './lift';
import { OnnxModel } from './model';

const FIXTURES = resolve(__dirname, '../../../fixtures/torch');

function readerFor(dir: string) {
  return (location: string, offset: number, length?: number) => {
    const data = readFileSync(join(dir, location));
    return new Uint8Array(data.buffer, data.byteOffset + offset, length ?? data.length - offset);
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('lifting imported PyTorch models into recur layers', () => {
  for (const [name, expected] of [
    ['ts_charlm_lstm', ['Embedding', 'LSTM', 'Linear']],
    ['dynamo_charlm_lstm', ['Embedding', 'LSTM', 'Linear']],
    ['ts_gru_bi', ['GRU']],
  ] as const) {
    it(`${name}: same outputs as the interpreter; after one training step it exports and runs in onnxruntime-node`, async () => {
      const model = OnnxModel.load(new Uint8Array(readFileSync(join(FIXTURES, `${name}.onnx`))), {
        readExternal: readerFor(FIXTURES),
      });
      const lifted = liftOnnx(model);
      expect(lifted.lifted.map((l) => l.layer.layerType)).toEqual(expected);
      const input = model.inputs[0];
      const charLM = input.dtype === 'int64';
      const feed = charLM
        ? tensor([[3, 8, 1, 4, 4, 7, 2, 9, 0, 5, 6, 11]], { dtype: 'int32' })
        : randomNormal([2, 5, 8], 0, 1, { seed: 3 });
      const feeds = { [input.name]: feed };
      const out = model.run(feeds);
      const mine = lifted.forward(feeds);
      for (const o of model.outputs)
        expect(maxDiff(mine[o.name].dataSync(), out[o.name].dataSync())).toBeLessThan(1e-6);
      dispose([out, mine]);

      // One SGD step on a loss of the outputs moves the lifted layers' weights.
      const params = lifted.parameters();
      const first = model.outputs[0].name;
      const lossOf = () => {
        const y = lifted.forward(feeds)[first];
        if (!charLM) return sum(mul(y, y));
        const targets = oneHot(tensor([[8, 1, 4, 4, 7, 2, 9, 0, 5, 6, 11, 3]], { dtype: 'int32' }), y.shape[2]);
        return mul(mean(sum(mul(log(y), targets), -1)), -1);
      };
      const { value, grads } = valueAndGradsOf(
        lossOf,
        params.map((p) => p.value),
      );
      expect(grads.some((g) => Math.abs(sum(g).item()) > 0)).toBe(true);
      params.forEach((p, i) => p.assign(tidy(() => sub(p.value, mul(grads[i], 0.5)))));
      dispose([value, grads]);
      const after = lifted.forward(feeds);
      const changed = tidy(() => maxDiff(after[first].dataSync(), model.run(feeds)[first].dataSync()));
      expect(changed).toBeGreaterThan(1e-4);

      const bytes = lifted.toOnnx();
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
      const ortFeed = charLM
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from(Array.from(feed.dataSync() as Int32Array), (v) => BigInt(v)),
            [...feed.shape],
          )
        : new ort.Tensor('float32', feed.dataSync() as Float32Array, [...feed.shape]);
      const ref = await session.run({ [input.name]: ortFeed });
      await session.release();
      for (const o of model.outputs)
        expect(maxDiff(after[o.name].dataSync(), ref[o.name].data as Float32Array)).toBeLessThan(1e-5);
      dispose(after);
      lifted.dispose();
      model.dispose();
    });
  }
});
