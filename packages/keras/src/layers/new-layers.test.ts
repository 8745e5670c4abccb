import { gradcheck } from '@recur/autograd';
import { numTensors, randomUniform, type Tensor, tensor, tidy } from '@recur/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Functional } from '../engine/functional';
import { Input } from '../engine/input-layer';
import type { Layer } from '../engine/layer';
import { Dense, Embedding, LSTM, LSTMCell, RNN, SimpleRNNCell } from '../index';
import { deserializeLayer, serializeLayer } from '../saving/registry';
import { copyWeights, maxDiffTf, tf, tfjsReady, tfl, toTf } from '../testing/tfjs-reference';
import { Activation } from './activation';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './global-pooling';
import { LayerNormalization } from './layer-normalization';
import { Masking } from './masking';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge';
import { RepeatVector } from './repeat-vector';
import { Flatten, Permute, Reshape } from './reshaping';
import { TimeDistributed } from './time-distributed';

beforeAll(tfjsReady);

// The reference layers get recur's weights; their own (orthogonal) initializers need not run.
const ZERO_INIT = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;

const x3 = () => randomUniform([2, 4, 3], -1, 1, { seed: 21 });
const y3 = () => randomUniform([2, 4, 3], -1, 1, { seed: 22 });

describe('new Keras layers match tfjs-layers 4.22 on the same inputs and weights', () => {
  it('LayerNormalization over the last axis and over two axes (gamma, beta in Keras order)', () => {
    for (const axis of [-1, [1, 2]] as const) {
      tidy(() => {
        const x = x3();
        const ln = new LayerNormalization({ axis: axis as number | number[], epsilon: 1e-3 });
        ln.build(x.shape);
        const shape = ln.getWeights()[0].shape;
        ln.setWeights([randomUniform(shape, 0.5, 1.5, { seed: 3 }), randomUniform(shape, -0.5, 0.5, { seed: 4 })]);
        const ref = tfl.layers.layerNormalization({ axis: axis as number | number[], epsilon: 1e-3 });
        ref.build([2, 4, 3]);
        copyWeights(ln.getWeights(), ref);
        const want = ref.apply(toTf(x)) as tf.Tensor;
        expect(maxDiffTf(ln.apply(x), want)).toBeLessThan(1e-5);
        expect(ln.getWeights().map((w) => w.shape)).toEqual(ref.getWeights().map((w) => w.shape));
      });
    }
  });

  it('Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate (two axes)', () => {
    tidy(() => {
      const [a, b] = [x3(), y3()];
      const cases: [Layer, tfl.layers.Layer][] = [
        [new Add(), tfl.layers.add({})],
        [new Multiply(), tfl.layers.multiply({})],
        [new Average(), tfl.layers.average({})],
        [new Maximum(), tfl.layers.maximum({})],
        [new Minimum(), tfl.layers.minimum({})],
        [new Concatenate(), tfl.layers.concatenate({})],
        [new Concatenate({ axis: 1 }), tfl.layers.concatenate({ axis: 1 })],
      ];
      for (const [mine, ref] of cases) {
        const want = ref.apply([toTf(a), toTf(b)]) as tf.Tensor;
        expect(maxDiffTf(mine.apply([a, b]), want)).toBeLessThan(1e-6);
      }
      // tfjs-layers has no Subtract layer: its reference is tfjs' sub.
      expect(maxDiffTf(new Subtract().apply([a, b]), tf.sub(toTf(a), toTf(b)))).toBeLessThan(1e-6);
    });
  });

  it('RepeatVector, Reshape (with -1), Flatten, Permute', () => {
    tidy(() => {
      const x = x3();
      const v = randomUniform([2, 5], -1, 1, { seed: 5 });
      expect(
        maxDiffTf(new RepeatVector({ n: 3 }).apply(v), tfl.layers.repeatVector({ n: 3 }).apply(toTf(v)) as tf.Tensor),
      ).toBe(0);
      expect(
        maxDiffTf(
          new Reshape({ targetShape: [-1, 2] }).apply(x),
          tfl.layers.reshape({ targetShape: [-1, 2] }).apply(toTf(x)) as tf.Tensor,
        ),
      ).toBe(0);
      expect(maxDiffTf(new Flatten().apply(x), tfl.layers.flatten().apply(toTf(x)) as tf.Tensor)).toBe(0);
      expect(
        maxDiffTf(
          new Permute({ dims: [2, 1] }).apply(x),
          tfl.layers.permute({ dims: [2, 1] }).apply(toTf(x)) as tf.Tensor,
        ),
      ).toBe(0);
    });
  });

  it('Activation layers by Keras and tfjs names', () => {
    tidy(() => {
      const x = randomUniform([3, 7], -4, 4, { seed: 6 });
      const names: [string, string][] = [
        ['relu', 'relu'],
        ['relu6', 'relu6'],
        ['elu', 'elu'],
        ['selu', 'selu'],
        ['sigmoid', 'sigmoid'],
        ['hard_sigmoid', 'hardSigmoid'],
        ['tanh', 'tanh'],
        ['softmax', 'softmax'],
        ['softplus', 'softplus'],
        ['softsign', 'softsign'],
        ['swish', 'swish'],
        ['linear', 'linear'],
      ];
      for (const [keras, tfjs] of names) {
        const want = tfl.layers.activation({ activation: tfjs as never }).apply(toTf(x)) as tf.Tensor;
        expect(maxDiffTf(new Activation({ activation: keras }).apply(x), want), keras).toBeLessThan(2e-6);
      }
    });
  });

  it('TimeDistributed(Dense) shares the Dense weights across steps', () => {
    tidy(() => {
      const x = x3();
      const td = new TimeDistributed(new Dense({ units: 5, activation: 'softmax' }));
      const y = td.apply(x);
      const ref = tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 5, activation: 'softmax' }) });
      ref.build([2, 4, 3]);
      copyWeights(td.getWeights(), ref);
      expect(y.shape).toEqual([2, 4, 5]);
      expect(maxDiffTf(y, ref.apply(toTf(x)) as tf.Tensor)).toBeLessThan(1e-6);
      expect(td.countParams()).toBe(ref.countParams());
    });
  });

  it('RNN([cells]) stacks them (Keras StackedRNNCells): the same as the layers stacked, in tfjs-layers', () => {
    tidy(() => {
      const x = x3();
      const rnn = new RNN([new LSTMCell({ units: 4 }), new SimpleRNNCell({ units: 3 })], {
        returnSequences: true,
        returnState: true,
      });
      const [y, h1, c1, h2] = rnn.apply(x) as Tensor[];
      // Per step, a stack of cells is the recurrent layers stacked: LSTM(4) then SimpleRNN(3) in tfjs-layers.
      // (tfjs' LSTM defaults to hardSigmoid gates, Keras 3's and recur's to sigmoid.)
      const lower = tfl.layers.lstm({
        units: 4,
        recurrentActivation: 'sigmoid',
        returnSequences: true,
        returnState: true,
        ...ZERO_INIT,
      });
      const upper = tfl.layers.simpleRNN({ units: 3, returnSequences: true, returnState: true, ...ZERO_INIT });
      upper.apply((lower.apply(toTf(x)) as tf.Tensor[])[0]); // builds both (a tfjs RNN layer cannot be built twice)
      const w = rnn.getWeights();
      copyWeights(w.slice(0, 3), lower);
      copyWeights(w.slice(3), upper);
      const [ly, lh, lc] = lower.apply(toTf(x)) as tf.Tensor[];
      const [uy, uh] = upper.apply(ly) as tf.Tensor[];
      expect(y.shape).toEqual([2, 4, 3]);
      // States in cell order, as Keras 3 returns them.
      [
        [y, uy],
        [h1, lh],
        [c1, lc],
        [h2, uh],
      ].forEach(([a, b], i) => expect(maxDiffTf(a as Tensor, b as tf.Tensor), `output ${i}`).toBeLessThan(1e-5));
      // Saved and rebuilt from its config, it is the same layer.
      const again = deserializeLayer(serializeLayer(rnn)) as RNN;
      again.build([2, 4, 3]);
      again.setWeights(w);
      expect(maxDiffTf((again.apply(x) as unknown as Tensor[])[0], uy)).toBeLessThan(1e-5);
    });
  });

  it('Global pooling over time, and Masking zeroes masked steps', () => {
    tidy(() => {
      const x = x3();
      expect(
        maxDiffTf(
          new GlobalAveragePooling1D().apply(x),
          tfl.layers.globalAveragePooling1d().apply(toTf(x)) as tf.Tensor,
        ),
      ).toBeLessThan(1e-6);
      expect(
        maxDiffTf(new GlobalMaxPooling1D().apply(x), tfl.layers.globalMaxPooling1d().apply(toTf(x)) as tf.Tensor),
      ).toBe(0);
      const withPad = tensor([
        [
          [1, 2],
          [0, 0],
          [3, 0],
        ],
      ]);
      expect(
        maxDiffTf(new Masking().apply(withPad), tfl.layers.masking({ maskValue: 0 }).apply(toTf(withPad)) as tf.Tensor),
      ).toBe(0);
      expect(Array.from(new Masking().computeMask(withPad)?.dataSync() ?? [])).toEqual([1, 0, 1]);
    });
  });

  it('GlobalAveragePooling1D leaves masked steps out of the mean (Keras), checked by hand', () => {
    tidy(() => {
      const x = x3();
      const mask = tensor(
        [
          [1, 1, 0, 0],
          [0, 1, 1, 1],
        ],
        { dtype: 'bool' },
      );
      const got = new GlobalAveragePooling1D().apply(x, { mask }).arraySync() as number[][];
      const xs = x.arraySync() as number[][][];
      const m = mask.arraySync() as number[][];
      for (let b = 0; b < 2; b++) {
        for (let f = 0; f < 3; f++) {
          let s = 0;
          let n = 0;
          for (let t = 0; t < 4; t++) {
            if (m[b][t]) {
              s += xs[b][t][f];
              n++;
            }
          }
          expect(got[b][f]).toBeCloseTo(s / n, 6);
        }
      }
    });
  });
});

describe('masks flow along a functional graph as in tfjs-layers', () => {
  it('Embedding(maskZero) → LSTM(returnSequences) → LSTM → Dense with pre- and post-padding', () => {
    tidy(() => {
      const ids = tensor(
        [
          [3, 5, 7, 0, 0],
          [0, 0, 2, 4, 9],
          [1, 2, 3, 4, 5],
        ],
        { dtype: 'int32' },
      );
      const input = Input({ shape: [5], dtype: 'int32' });
      const emb = new Embedding({ inputDim: 10, outputDim: 4, maskZero: true });
      const l1 = new LSTM({ units: 6, returnSequences: true });
      const l2 = new LSTM({ units: 5 });
      const head = new Dense({ units: 3, activation: 'softmax' });
      const output = head.apply(l2.apply(l1.apply(emb.apply(input))));
      const model = new Functional({ inputs: input, outputs: output });
      const ref = tfl.sequential({
        layers: [
          tfl.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputLength: 5 }),
          tfl.layers.lstm({ units: 6, returnSequences: true, recurrentActivation: 'sigmoid', ...ZERO_INIT }),
          tfl.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', ...ZERO_INIT }),
          tfl.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      copyWeights(model.getWeights(), ref);
      const want = ref.predict(toTf(ids)) as tf.Tensor;
      expect(maxDiffTf(model.forward(ids) as Tensor, want)).toBeLessThan(1e-5);
    });
  });

  it('Masking → Bidirectional-free stack: the mask from Masking reaches the LSTM', () => {
    tidy(() => {
      const x = tensor([
        [
          [0.5, -1],
          [0, 0],
          [1, 0.25],
        ],
        [
          [0, 0],
          [0.3, 0.7],
          [-0.2, 0.1],
        ],
      ]);
      const input = Input({ shape: [3, 2] });
      const lstm = new LSTM({ units: 4 });
      const model = new Functional({ inputs: input, outputs: lstm.apply(new Masking().apply(input)) });
      const ref = tfl.sequential({
        layers: [
          tfl.layers.masking({ maskValue: 0, inputShape: [3, 2] }),
          tfl.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', ...ZERO_INIT }),
        ],
      });
      copyWeights(model.getWeights(), ref);
      expect(maxDiffTf(model.forward(x) as Tensor, ref.predict(toTf(x)) as tf.Tensor)).toBeLessThan(1e-5);
    });
  });
});

describe('gradients of the new layers pass gradcheck (float64)', () => {
  const f64 = (shape: number[], seed: number) => randomUniform(shape, -1, 1, { seed, dtype: 'float64' });

  it('LayerNormalization (input, gamma, beta)', () => {
    tidy(() => {
      const f = (x: Tensor, g: Tensor, b: Tensor) => {
        const ln = new LayerNormalization({ dtype: 'float64' });
        ln.build(x.shape);
        ln.addWeight('gamma', g);
        ln.addWeight('beta', b);
        return ln.forward(x);
      };
      const r = gradcheck(f, [f64([2, 3, 4], 1), f64([4], 2), f64([4], 3)]);
      expect(r.ok, r.worst).toBe(true);
    });
  });

  it('merges, reshaping, pooling, Masking, Activation, TimeDistributed(Dense)', () => {
    tidy(() => {
      const a = f64([2, 3, 4], 4);
      const b = f64([2, 3, 4], 5);
      const checks: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
        ['Add', (p, q) => new Add().forward([p, q]), [a, b]],
        ['Subtract', (p, q) => new Subtract().forward([p, q]), [a, b]],
        ['Multiply', (p, q) => new Multiply().forward([p, q]), [a, b]],
        ['Average', (p, q) => new Average().forward([p, q]), [a, b]],
        ['Maximum', (p, q) => new Maximum().forward([p, q]), [a, b]],
        ['Minimum', (p, q) => new Minimum().forward([p, q]), [a, b]],
        ['Concatenate', (p, q) => new Concatenate({ axis: 1 }).forward([p, q]), [a, b]],
        ['RepeatVector', (p) => new RepeatVector({ n: 2 }).forward(p), [f64([2, 4], 6)]],
        ['Reshape', (p) => new Reshape({ targetShape: [4, 3] }).forward(p), [a]],
        ['Flatten', (p) => new Flatten().forward(p), [a]],
        ['Permute', (p) => new Permute({ dims: [2, 1] }).forward(p), [a]],
        ['GlobalAveragePooling1D', (p) => new GlobalAveragePooling1D().forward(p), [a]],
        ['GlobalMaxPooling1D', (p) => new GlobalMaxPooling1D().forward(p), [a]],
        ['Masking', (p) => new Masking({ maskValue: 0.5 }).forward(p), [a]],
        ['Activation selu', (p) => new Activation({ activation: 'selu' }).forward(p), [a]],
        ['Activation softsign', (p) => new Activation({ activation: 'softsign' }).forward(p), [a]],
        [
          'TimeDistributed(Dense)',
          (p, k, bias) => {
            const d = new Dense({ units: 2, dtype: 'float64' });
            d.build([null, 4]);
            d.addWeight('kernel', k);
            d.addWeight('bias', bias);
            return new TimeDistributed(d).forward(p);
          },
          [a, f64([4, 2], 7), f64([2], 8)],
        ],
      ];
      for (const [name, f, inputs] of checks) {
        const r = gradcheck(f, inputs);
        expect(r.ok, `${name}: ${r.worst}`).toBe(true);
      }
    });
  });

  it('free every temporary', () => {
    const x = randomUniform([2, 3, 4], -1, 1, { seed: 9 });
    const before = numTensors();
    const y = new LayerNormalization().apply(x);
    new Concatenate().apply([x, x]).dispose();
    const mask = tensor(
      [
        [1, 0, 1],
        [1, 1, 1],
      ],
      { dtype: 'bool' },
    );
    new GlobalAveragePooling1D().apply(x, { mask }).dispose();
    mask.dispose();
    y.dispose();
    // LayerNormalization keeps its two weights.
    expect(numTensors()).toBe(before + 2);
  });
});
