import { reshape, shapesEqual, sum, type Tensor } from '@recur/tensor';

/** Sums a broadcast gradient back down to `shape` (the inverse of NumPy broadcasting). */
export function unbroadcast(dy: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length ? sum(dy, axes, { keepDims: true }) : dy;
  return reshape(reduced, shape);
}
