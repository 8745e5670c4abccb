import { allocTypedArray, broadcastStrides, type DType, sizeOf, stridesOf, type TypedArray } from '@recur/backend-api';
import { stridedCopy } from '../strided-copy';

export function transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], dtype: DType): TypedArray {
  const strides = stridesOf(shape);
  const outShape = perm.map((a) => shape[a]);
  const out = allocTypedArray(dtype, x.length);
  stridedCopy(
    x,
    0,
    perm.map((a) => strides[a]),
    out,
    0,
    stridesOf(outShape),
    outShape,
  );
  return out;
}

export function broadcastTo(
  x: TypedArray,
  shape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): TypedArray {
  const out = allocTypedArray(dtype, sizeOf(outShape));
  stridedCopy(x, 0, broadcastStrides(shape, outShape), out, 0, stridesOf(outShape), outShape);
  return out;
}

export function slice(
  x: TypedArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  step: readonly number[],
  dtype: DType,
): TypedArray {
  const strides = stridesOf(shape);
  let offset = 0;
  for (let i = 0; i < shape.length; i++) offset += begin[i] * strides[i];
  const out = allocTypedArray(dtype, sizeOf(size));
  stridedCopy(
    x,
    offset,
    strides.map((s, i) => s * step[i]),
    out,
    0,
    stridesOf(size),
    size,
  );
  return out;
}

export function concat(
  xs: readonly { data: TypedArray; shape: readonly number[] }[],
  axis: number,
  dtype: DType,
): TypedArray {
  const outShape = [...xs[0].shape];
  outShape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
  const out = allocTypedArray(dtype, sizeOf(outShape));
  const outStrides = stridesOf(outShape);
  let offset = 0;
  for (const x of xs) {
    stridedCopy(x.data, 0, stridesOf(x.shape), out, offset * outStrides[axis], outStrides, x.shape);
    offset += x.shape[axis];
  }
  return out;
}

export function pad(
  x: TypedArray,
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
  value: number,
  dtype: DType,
): TypedArray {
  const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = allocTypedArray(dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  const outStrides = stridesOf(outShape);
  let offset = 0;
  for (let i = 0; i < shape.length; i++) offset += paddings[i][0] * outStrides[i];
  stridedCopy(x, 0, stridesOf(shape), out, offset, outStrides, shape);
  return out;
}

/** out[o, j, i] = x[o, indices[j], i] with x viewed as [outer, axisLen, inner]. */
export function gather(
  x: TypedArray,
  shape: readonly number[],
  indices: Int32Array,
  axis: number,
  dtype: DType,
): TypedArray {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const axisLen = shape[axis];
  const n = indices.length;
  const out = allocTypedArray(dtype, outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * axisLen + indices[j]) * inner;
      const dst = (o * n + j) * inner;
      if (inner > 16) out.set(x.subarray(src, src + inner), dst);
      else for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
  return out;
}

/** The transpose of gather: accumulates updates [outer, n, inner] into a zero [outer, axisLen, inner]. */
export function scatterAdd(
  shape: readonly number[],
  indices: Int32Array,
  updates: TypedArray,
  axis: number,
  dtype: DType,
): TypedArray {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const axisLen = shape[axis];
  const n = indices.length;
  const out = allocTypedArray(dtype, sizeOf(shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = (o * axisLen + indices[j]) * inner;
      const src = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += updates[src + i];
    }
  }
  return out;
}
