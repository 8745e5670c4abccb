import { grad } from '@recur/autograd';
import { type Tensor, tensor } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import * as train from '../index';
import { crossEntropy } from './cross-entropy';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, mse, nll } from './regression';

const logits = [
  [2, 0, -1],
  [0.5, 0.5, 3],
  [1, -2, 0],
];
const targets = [0, 2, 1];
const w = [1, 2, 0.5];

function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

describe('crossEntropy (torch.nn.functional.cross_entropy, classes last)', () => {
  const L = tensor(logits);
  const T = tensor(targets, { dtype: 'int32' });
  const nlls = logits.map((row, i) => -logSoftmaxRow(row)[targets[i]]);

  it('mean, sum and none', () => {
    expect(crossEntropy(L, T).item()).toBeCloseTo(nlls.reduce((a, b) => a + b) / 3, 6);
    expect(crossEntropy(L, T, { reduction: 'sum' }).item()).toBeCloseTo(
      nlls.reduce((a, b) => a + b),
      5,
    );
    Array.from(crossEntropy(L, T, { reduction: 'none' }).dataSync()).forEach((v, i) =>
      expect(v).toBeCloseTo(nlls[i], 6),
    );
    // PyTorch's argument order here; Keras' names, with Keras' (yTrue, yPred) order, are @recur/keras' only.
    expect(Object.keys(train)).not.toContain('losses');
    expect(Object.keys(train)).not.toContain('sparseCategoricalCrossentropy');
  });

  it('ignoreIndex leaves targets out of the loss and the mean; all ignored is NaN', () => {
    const ignored = tensor([0, -100, 1], { dtype: 'int32' });
    expect(crossEntropy(L, ignored).item()).toBeCloseTo((nlls[0] + nlls[2]) / 2, 6);
    expect(Number.isNaN(crossEntropy(L, tensor([-100, -100, -100], { dtype: 'int32' })).item())).toBe(true);
  });

  it('class weights: the mean divides by the weights of the counted targets', () => {
    const want = nlls.reduce((s, v, i) => s + w[targets[i]] * v, 0) / targets.reduce((s, t) => s + w[t], 0);
    expect(crossEntropy(L, T, { weight: tensor(w) }).item()).toBeCloseTo(want, 6);
  });

  it('label smoothing mixes in the uniform distribution', () => {
    const eps = 0.2;
    const per = logits.map((row, i) => {
      const lp = logSoftmaxRow(row);
      return (1 - eps) * -lp[targets[i]] + (eps / 3) * -lp.reduce((a, b) => a + b, 0);
    });
    expect(crossEntropy(L, T, { labelSmoothing: eps }).item()).toBeCloseTo(per.reduce((a, b) => a + b) / 3, 6);
  });

  it('its gradient is softmax − onehot (over the count)', () => {
    const g = grad((x: Tensor) => crossEntropy(x, T))(L).arraySync() as number[][];
    logits.forEach((row, i) => {
      const p = logSoftmaxRow(row).map(Math.exp);
      p.forEach((pj, j) => expect(g[i][j]).toBeCloseTo((pj - (j === targets[i] ? 1 : 0)) / 3, 6));
    });
  });

  it('names shapes and bad targets', () => {
    expect(() => crossEntropy(L, tensor([0, 1], { dtype: 'int32' }))).toThrow(
      /targets \[2\] should match the logits \[3, 3\]/,
    );
    expect(() => crossEntropy(L, tensor([0, 3, 1], { dtype: 'int32' }))).toThrow(
      /target 3 at flat position 1 is outside 0..2/,
    );
  });
});

describe('other losses', () => {
  it('mse, nll, binary cross-entropy with and without logits', () => {
    expect(mse(tensor([1, 2, 3]), tensor([1, 0, 0])).item()).toBeCloseTo(13 / 3, 6);
    const lp = tensor(logits.map(logSoftmaxRow));
    expect(nll(lp, tensor(targets, { dtype: 'int32' })).item()).toBeCloseTo(
      crossEntropy(tensor(logits), tensor(targets, { dtype: 'int32' })).item(),
      6,
    );
    const x = [-30, -1, 0, 2, 40];
    const y = [0, 1, 1, 0, 1];
    const naive = x.map((v, i) => {
      const p = 1 / (1 + Math.exp(-v));
      return -(y[i] * Math.log(Math.max(p, 1e-300)) + (1 - y[i]) * Math.log(Math.max(1 - p, 1e-300)));
    });
    const got = Array.from(
      binaryCrossEntropyWithLogits(tensor(x, { dtype: 'float64' }), tensor(y, { dtype: 'float64' }), {
        reduction: 'none',
      }).dataSync(),
    );
    got.forEach((v, i) => expect(v).toBeCloseTo(naive[i], 8));
    const probs = x.slice(1, 4).map((v) => 1 / (1 + Math.exp(-v)));
    expect(
      binaryCrossEntropy(tensor(probs, { dtype: 'float64' }), tensor(y.slice(1, 4), { dtype: 'float64' })).item(),
    ).toBeCloseTo(naive.slice(1, 4).reduce((a, b) => a + b) / 3, 8);
    const pw = binaryCrossEntropyWithLogits(tensor([0.3]), tensor([1]), { posWeight: 3 }).item();
    expect(pw).toBeCloseTo(3 * Math.log1p(Math.exp(-0.3)), 6);
  });
});
