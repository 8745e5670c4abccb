import { describe, expect, it } from 'vitest';
import {
  add,
  arange,
  argMax,
  concat,
  div,
  equal,
  gather,
  logSoftmax,
  matMul,
  max,
  mean,
  numTensors,
  oneHot,
  pad,
  Rng,
  randomNormal,
  reshape,
  slice,
  softmax,
  split,
  stack,
  stridedSlice,
  sum,
  tensor,
  tidy,
  transpose,
  where,
  zeros,
} from './index';

describe('tensor creation', () => {
  it('infers shape and dtype from nested arrays', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(x.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('rejects ragged arrays and wrong sizes with the shape in the message', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged.*\[1\]/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2, 2\]/);
  });

  it('narrows int64 to int32 with a range check', () => {
    const x = tensor(new BigInt64Array([1n, -5n, 2147483647n]), { dtype: 'int64' });
    expect(x.dtype).toBe('int32');
    expect(Array.from(x.dataSync())).toEqual([1, -5, 2147483647]);
    expect(() => tensor(new BigInt64Array([2147483648n]))).toThrow(/does not fit in int32/);
  });

  it('arange counts like NumPy', () => {
    expect(Array.from(arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(1, 2, 0.25).dataSync())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(4, -2, -2).dataSync())).toEqual([4, 2, 0]);
  });

  it('seeded random draws repeat and have the right moments', () => {
    const a = Array.from(randomNormal([10000], 0, 1, { seed: 7 }).dataSync());
    const b = Array.from(randomNormal([10000], 0, 1, { seed: 7 }).dataSync());
    expect(a).toEqual(b);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    const v = a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length;
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const r = new Rng(3);
    r.next();
    const state = r.getState();
    const next = r.next();
    r.setState(state);
    expect(r.next()).toBe(next);
  });
});

describe('ops', () => {
  it('broadcasts binary ops and names both shapes when they do not', () => {
    const a = tensor([[1], [2]]);
    const b = tensor([10, 20, 30]);
    expect(add(a, b).arraySync()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
    expect(() => add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow('add: shapes [2] and [3] do not broadcast');
  });

  it('promotes dtypes like PyTorch', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(add(i, 1).dtype).toBe('int32');
    expect(add(i, 0.5).dtype).toBe('float32');
    expect(div(i, 2).arraySync()).toEqual([0.5, 1]);
    expect(add(tensor([1], { dtype: 'float64' }), tensor([1])).dtype).toBe('float64');
    expect(equal(i, 2).dtype).toBe('bool');
  });

  it('reduces over axes with keepDims', () => {
    const x = tensor([
      [1, 5, 3],
      [4, 2, 6],
    ]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x, 0).arraySync()).toEqual([5, 7, 9]);
    expect(sum(x, [1], { keepDims: true }).shape).toEqual([2, 1]);
    expect(max(x, -1).arraySync()).toEqual([5, 6]);
    expect(mean(x, 1).arraySync()).toEqual([3, 4]);
    expect(argMax(x, 1).arraySync()).toEqual([1, 2]);
  });

  it('matMul batches, broadcasts and honours transpose flags', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    expect(matMul(a, b).arraySync()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(matMul(a, b, { transposeA: true }).arraySync()).toEqual([
      [26, 30],
      [38, 44],
    ]);
    expect(matMul(a, b, { transposeB: true }).arraySync()).toEqual([
      [17, 23],
      [39, 53],
    ]);
    const batch = reshape(arange(12, undefined, 1, 'float32'), [3, 2, 2]);
    expect(matMul(batch, a).shape).toEqual([3, 2, 2]);
    expect(matMul(tensor([1, 1]), a).arraySync()).toEqual([4, 6]);
    expect(() => matMul(tensor([[1, 2, 3]]), a)).toThrow(/matMul: shapes \[1, 3\] and \[2, 2\] do not match/);
  });

  it('moves data: transpose, slice, strided slice, concat, stack, split, pad, gather', () => {
    const x = reshape(arange(6, undefined, 1, 'float32'), [2, 3]);
    expect(transpose(x).arraySync()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(slice(x, [0, 1], [2, 2]).arraySync()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(stridedSlice(x, [0, -1], [2, -4], [0, 1], [1, -2]).arraySync()).toEqual([
      [2, 0],
      [5, 3],
    ]);
    expect(concat([x, x], 1).shape).toEqual([2, 6]);
    expect(stack([x, x], 1).shape).toEqual([2, 2, 3]);
    expect(split(x, [1, 2], 1).map((t) => t.shape)).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(pad(tensor([1, 2]), [[1, 2]], 9).arraySync()).toEqual([9, 1, 2, 9, 9]);
    expect(gather(x, tensor([2, 0, 2], { dtype: 'int32' }), 1).arraySync()).toEqual([
      [2, 0, 2],
      [5, 3, 5],
    ]);
    expect(() => gather(x, tensor([3], { dtype: 'int32' }), 1)).toThrow(
      /index 3 at position 0 is out of range for axis 1 of \[2, 3\]/,
    );
    expect(oneHot(tensor([1, 0], { dtype: 'int32' }), 3).arraySync()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('softmax and logSoftmax are stable for large inputs', () => {
    const x = tensor([[1000, 1001, 1002]]);
    const p = softmax(x).dataSync();
    expect(p[2]).toBeCloseTo(0.66524096, 6);
    expect(logSoftmax(x).dataSync()[0]).toBeCloseTo(-2.40760596, 5);
  });

  it('where broadcasts the condition', () => {
    expect(where(tensor([1, 0, 1], { dtype: 'bool' }), tensor([1, 2, 3]), 0).arraySync()).toEqual([1, 0, 3]);
  });
});

describe('memory', () => {
  it('tidy returns the live-tensor count to its start after 10,000 temporaries', () => {
    const start = numTensors();
    const kept = tidy(() => {
      let acc = zeros([4]);
      for (let i = 0; i < 10000; i++) acc = add(acc, 1);
      return acc;
    });
    expect(numTensors()).toBe(start + 1);
    expect(kept.arraySync()).toEqual([10000, 10000, 10000, 10000]);
    kept.dispose();
    expect(numTensors()).toBe(start);
  });

  it('ops with internal temporaries leave nothing behind', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const start = numTensors();
    const y = softmax(x);
    const z = add(x, 1);
    expect(numTensors()).toBe(start + 2);
    y.dispose();
    z.dispose();
    expect(numTensors()).toBe(start);
  });

  it('using a disposed tensor names the op and the tensor', () => {
    const x = tensor([1, 2]);
    x.dispose();
    expect(() => add(x, 1)).toThrow(/add: tensor #\d+ \[2\] float32 was disposed/);
  });
});

describe('arguments as tfjs programs pass them', () => {
  it('slice takes numbers for a 1-D tensor, as tf.slice does', () => {
    const x = tensor([10, 20, 30, 40]);
    expect(slice(x, 1, 1).arraySync()).toEqual([20]);
    expect(slice(x, 2).arraySync()).toEqual([30, 40]);
    expect(slice(x, [1], [2]).arraySync()).toEqual([20, 30]);
    expect(() => slice(x, '1' as never)).toThrow(/slice: begin and size should be numbers/);
  });

  it('oneHot takes a number or a list of numbers as its indices', () => {
    expect(oneHot(3, 5).arraySync()).toEqual([0, 0, 0, 1, 0]);
    expect(oneHot([0, 2], 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(() => oneHot(7, 5)).toThrow(/oneHot: index 7 at position 0 is out of range/);
    expect(() => oneHot(1, 0)).toThrow(/oneHot: depth should be a positive integer/);
  });

  it('an op given something that is not a tensor says which input and what arrived', () => {
    expect(() => add(null as never, 1)).toThrow(/input 0 should be a Tensor, got null/);
    expect(() => matMul([[1, 2]] as never, tensor([[1], [2]]))).toThrow(
      /matMul: input 0 should be a Tensor, got an array/,
    );
  });
});
