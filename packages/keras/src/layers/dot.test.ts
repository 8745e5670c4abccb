import { exportOnnx } from '@recur/onnx';
import { randomUniform, type Tensor } from '@recur/tensor';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dot, type DotOptions, Input, loadModel, Model } from '../index';
import { maxDiffTf, type tf, tfjsReady, tfl, toTf } from '../testing/tfjs-reference';

/** Each case: the two input shapes (batch first) and Dot's options; tfjs-layers 4.22's Dot is the reference. */
const CASES: [string, number[], number[], DotOptions][] = [
  ['[B, n]·[B, n] over axis 1', [3, 4], [3, 4], { axes: 1 }],
  ['[B, T, d]·[B, S, d] over [2, 2] (attention scores)', [2, 5, 4], [2, 3, 4], { axes: [2, 2] }],
  ['[B, T, S]·[B, S, d] over [2, 1] (attention context)', [2, 5, 3], [2, 3, 4], { axes: [2, 1] }],
  ['[B, d, T]·[B, d, S] over axis 1', [2, 4, 5], [2, 4, 3], { axes: 1 }],
  ['[B, T, d]·[B, d] over [2, 1]', [2, 5, 4], [2, 4], { axes: [2, 1] }],
  ['[B, d]·[B, T, d] over [1, 2]', [2, 4], [2, 5, 4], { axes: [1, 2] }],
  ['cosine similarity (normalize)', [2, 5, 4], [2, 3, 4], { axes: -1, normalize: true }],
];

describe('Dot against tfjs-layers 4.22', () => {
  beforeAll(tfjsReady);

  for (const [label, sa, sb, options] of CASES) {
    it(label, () => {
      const a = randomUniform(sa, -1, 1, { seed: 1 });
      const b = randomUniform(sb, -1, 1, { seed: 2 });
      const dot = new Dot(options);
      const got = dot.apply([a, b]) as Tensor;
      const ref = tfl.layers
        .dot({ axes: options.axes, normalize: options.normalize })
        .apply([toTf(a), toTf(b)]) as tf.Tensor;
      expect(maxDiffTf(got, ref)).toBeLessThan(1e-6);
      // The symbolic shape agrees with what runs.
      const sym = dot.computeOutputShape([
        [null, ...sa.slice(1)],
        [null, ...sb.slice(1)],
      ]);
      expect(sym.slice(1)).toEqual(got.shape.slice(1));
    });
  }

  it('refuses what Keras refuses, naming the layer, shapes and axes', () => {
    const a = randomUniform([2, 4]);
    expect(() => new Dot({ axes: 1 }).apply([a, randomUniform([2, 5])])).toThrow(/the summed axes differ/);
    expect(() => new Dot({ axes: 0 }).apply([a, a])).toThrow(/must name a non-batch axis/);
    expect(() => new Dot({ axes: 'x' as never })).toThrow(/axes should be an integer or two integers/);
    expect(() => new Dot({ axes: 1 }).apply([a, a, a])).toThrow(/takes a list of exactly 2 inputs/);
  });
});

describe('Dot in a model', () => {
  const build = () => {
    const q = Input({ shape: [5, 4], name: 'q' });
    const k = Input({ shape: [3, 4], name: 'k' });
    return new Model({ inputs: [q, k], outputs: new Dot({ axes: [2, 2], normalize: true }).apply([q, k]) });
  };
  const q = randomUniform([2, 5, 4], -1, 1, { seed: 3 });
  const k = randomUniform([2, 3, 4], -1, 1, { seed: 4 });

  it('saves and loads in every format recur writes, predicting the same', async () => {
    const model = build();
    const want = Array.from((model.predict([q, k]) as Tensor).dataSync());
    for (const format of ['keras', 'tfjs', 'recur'] as const) {
      const { files } = await model.save(undefined, { format });
      const again =
        format === 'tfjs'
          ? await loadModel(Object.entries(files).map(([name, bytes]) => Object.assign(new Blob([bytes]), { name })))
          : await loadModel(Object.values(files)[0]);
      expect(Array.from((again.predict([q, k]) as Tensor).dataSync()), format).toEqual(want);
    }
  });

  it('exports to ONNX that onnxruntime-node runs equal', async () => {
    const model = build();
    const want = (model.predict([q, k]) as Tensor).dataSync();
    const session = await ort.InferenceSession.create(exportOnnx(model));
    const out = await session.run({
      q: new ort.Tensor('float32', q.dataSync() as Float32Array, [...q.shape]),
      k: new ort.Tensor('float32', k.dataSync() as Float32Array, [...k.shape]),
    });
    const got = Object.values(out)[0];
    expect(got.dims).toEqual([2, 5, 3]);
    const data = got.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[i] - want[i]));
    expect(worst).toBeLessThan(1e-5);
    await session.release();
  });
});
