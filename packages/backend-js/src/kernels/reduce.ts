import {
  type ArgReduceOp,
  allocTypedArray,
  type DType,
  type ReduceOp,
  sizeOf,
  stridesOf,
  type TypedArray,
} from '@recur/backend-api';
import { stridedCopy } from '../strided-copy';

/**
 * Lays `x` out so that the axes in `inner` come last, contiguous; returns the array and the
 * number of outer rows. No copy when those axes are already last.
 */
function moveAxesLast(x: TypedArray, shape: readonly number[], inner: readonly number[], dtype: DType): TypedArray {
  const rank = shape.length;
  const alreadyLast = inner.every((a, i) => a === rank - inner.length + i);
  if (alreadyLast) return x;
  const outer = [...Array(rank).keys()].filter((a) => !inner.includes(a));
  const perm = [...outer, ...inner];
  const strides = stridesOf(shape);
  const permShape = perm.map((a) => shape[a]);
  const out = allocTypedArray(dtype, x.length);
  stridedCopy(
    x,
    0,
    perm.map((a) => strides[a]),
    out,
    0,
    stridesOf(permShape),
    permShape,
  );
  return out;
}

export function reduce(
  op: ReduceOp,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  dtype: DType,
): TypedArray {
  const rowLen = sizeOf(axes.map((a) => shape[a]));
  const rows = rowLen === 0 ? sizeOf(shape.filter((_, i) => !axes.includes(i))) : x.length / rowLen;
  const src = moveAxesLast(x, shape, axes, dtype);
  const out = allocTypedArray(dtype === 'bool' ? 'int32' : dtype, rows);
  for (let r = 0; r < rows; r++) {
    const base = r * rowLen;
    let acc: number;
    switch (op) {
      case 'sum':
        acc = 0;
        for (let i = 0; i < rowLen; i++) acc += src[base + i];
        break;
      case 'max':
        acc = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < rowLen; i++) {
          const v = src[base + i];
          if (v > acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
      case 'min':
        acc = Number.POSITIVE_INFINITY;
        for (let i = 0; i < rowLen; i++) {
          const v = src[base + i];
          if (v < acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
    }
    out[r] = acc;
  }
  return out;
}

export function argReduce(
  op: ArgReduceOp,
  x: TypedArray,
  shape: readonly number[],
  axis: number,
  dtype: DType,
): Int32Array {
  const rowLen = shape[axis];
  const src = moveAxesLast(x, shape, [axis], dtype);
  const rows = rowLen === 0 ? 0 : x.length / rowLen;
  const out = new Int32Array(rows);
  const better = op === 'argMax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLen;
    let best = src[base];
    let bestIndex = 0;
    for (let i = 1; i < rowLen; i++) {
      const v = src[base + i];
      if (Number.isNaN(best)) break;
      if (better(v, best) || Number.isNaN(v)) {
        best = v;
        bestIndex = i;
      }
    }
    out[r] = bestIndex;
  }
  return out;
}
