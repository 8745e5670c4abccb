import {
  add,
  currentRecorder,
  detach,
  matMul,
  mul,
  numTensors,
  type OpRecorder,
  sum,
  tanh,
  tensor,
  tidy,
  withRecorder,
} from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { grad, gradcheck, grads, noGrad, valueAndGrad, valueAndGrads, valueAndGradsOf } from './index';

describe('grad', () => {
  it('differentiates a scalar function', () => {
    const x = tensor([1, 2, 3]);
    const dx = grad((v) => sum(mul(v, v)))(x);
    expect(Array.from(dx.dataSync())).toEqual([2, 4, 6]);
  });

  it('accumulates gradients across uses of one tensor', () => {
    const x = tensor([2]);
    // f = x*x + x*3 + x → f' = 2x + 4 = 8
    const dx = grad((v) => sum(add(add(mul(v, v), mul(v, 3)), v)))(x);
    expect(dx.item()).toBe(8);
  });

  it('reduces broadcast gradients to the input shapes', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([10, 20, 30]);
    const [da, db] = grads((x, y) => sum(mul(x, y)))([a, b]);
    expect(da.arraySync()).toEqual([
      [10, 20, 30],
      [10, 20, 30],
    ]);
    expect(db.arraySync()).toEqual([5, 7, 9]);
  });

  it('gives zeros for inputs the result does not depend on, and stops at detach', () => {
    const x = tensor([1, 2]);
    const y = tensor([3, 4]);
    const [dx, dy] = grads((p, q) => sum(add(mul(p, 2), mul(detach(q), 0))))([x, y]);
    expect(dx.arraySync()).toEqual([2, 2]);
    expect(dy.arraySync()).toEqual([0, 0]);
  });

  it('takes a seed gradient for non-scalar results and refuses a non-scalar without one', () => {
    const x = tensor([1, 2]);
    expect(() => grad((v) => mul(v, 2))(x)).toThrow(/must return a scalar.*\[2\]/);
    const { value, grad: dx } = valueAndGrad((v) => mul(v, v))(x, tensor([1, 10]));
    expect(value.arraySync()).toEqual([1, 4]);
    expect(dx.arraySync()).toEqual([2, 40]);
  });

  it('valueAndGradsOf differentiates a closure over parameters', () => {
    const w = tensor([
      [1, 2],
      [3, 4],
    ]);
    const x = tensor([[1, 1]]);
    const {
      value,
      grads: [dw],
    } = valueAndGradsOf(() => sum(tanh(matMul(x, w))), [w]);
    const t1 = Math.tanh(4);
    const t2 = Math.tanh(6);
    expect(value.item()).toBeCloseTo(t1 + t2, 5);
    expect(dw.dataSync()[0]).toBeCloseTo(1 - t1 * t1, 6);
    expect(dw.dataSync()[1]).toBeCloseTo(1 - t2 * t2, 6);
  });

  it('records nothing when no gradient is requested, and nothing inside noGrad', () => {
    expect(currentRecorder()).toBeNull();
    const seen: string[] = [];
    const spy: OpRecorder = { record: (op) => seen.push(op.kernel), holds: () => false };
    withRecorder(spy, () => noGrad(() => mul(tensor([1]), 2)));
    expect(seen).toEqual([]);
    const x = tensor([3]);
    const [dx] = valueAndGrads((v) =>
      sum(
        add(
          mul(v, v),
          noGrad(() => mul(v, 100)),
        ),
      ),
    )([x]).grads;
    expect(dx.item()).toBe(6);
  });

  it('frees every intermediate: the live-tensor count grows only by value and gradients', () => {
    const x = tensor([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    const start = numTensors();
    for (let i = 0; i < 50; i++) {
      const r = valueAndGrads((v) => sum(tanh(matMul(v, v))))([x]);
      r.value.dispose();
      r.grads[0].dispose();
    }
    expect(numTensors()).toBe(start);
  });

  it('an explicit dispose inside f does not free what backward needs', () => {
    const x = tensor([0.5, 2]);
    const start = numTensors();
    const dx = grad((v) => {
      const t = tanh(v);
      const out = sum(mul(t, t));
      t.dispose();
      return out;
    })(x);
    const t = Math.tanh(0.5);
    expect(dx.dataSync()[0]).toBeCloseTo(2 * t * (1 - t * t), 6);
    dx.dispose();
    expect(numTensors()).toBe(start);
  });

  it('a tensor made before f and disposed inside it (a carried state) is freed once the gradient is done', () => {
    const w = tensor([0.5, -1]);
    const start = numTensors();
    for (let i = 0; i < 20; i++) {
      const carried = tidy(() => tanh(tensor([0.1 * i, 0.2])));
      const r = valueAndGradsOf(() => {
        const out = sum(mul(w, carried));
        carried.dispose();
        return out;
      }, [w]);
      expect(carried.isDisposed).toBe(true);
      r.value.dispose();
      r.grads[0].dispose();
    }
    expect(numTensors()).toBe(start);
  });

  it('inner tidy scopes do not free what backward needs', () => {
    const x = tensor([0.5, -0.5]);
    const dx = grad((v) => tidy(() => sum(mul(tanh(v), tanh(v)))))(x);
    const t = Math.tanh(0.5);
    expect(dx.dataSync()[0]).toBeCloseTo(2 * t * (1 - t * t), 6);
  });
});

describe('gradcheck', () => {
  it('accepts a correct gradient and reports a wrong one', () => {
    const x = tensor([0.3, -0.7, 1.1], { dtype: 'float64' });
    expect(gradcheck((v) => tanh(v), [x]).ok).toBe(true);
    // A function whose recorded graph lies: the forward uses v*v but the graph sees v*detach(v).
    const lying = gradcheck((v) => mul(v, detach(v)), [x]);
    expect(lying.ok).toBe(false);
    expect(lying.worst).toMatch(/input 0 \[3\]/);
  });
});
