import type { TypedArray } from '@recur/backend-api';

/**
 * Copies a strided view of `src` into a strided view of `dst`, both walked in row-major order of
 * `shape`. Transpose, broadcast (stride 0), slice (offset + scaled strides), pad and concat are all
 * this one loop with different offsets and strides.
 */
export function stridedCopy(
  src: TypedArray,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: TypedArray,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOffset] = src[srcOffset];
    return;
  }
  for (const d of shape) if (d === 0) return;
  const last = rank - 1;
  const n = shape[last];
  const ss = srcStrides[last];
  const ds = dstStrides[last];
  const index = new Array<number>(rank).fill(0);
  let s = srcOffset;
  let d = dstOffset;
  for (;;) {
    if (ss === 1 && ds === 1) {
      for (let i = 0; i < n; i++) dst[d + i] = src[s + i];
    } else {
      for (let i = 0, si = s, di = d; i < n; i++, si += ss, di += ds) dst[di] = src[si];
    }
    // Odometer over the outer axes.
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      index[axis]++;
      s += srcStrides[axis];
      d += dstStrides[axis];
      if (index[axis] < shape[axis]) break;
      s -= srcStrides[axis] * shape[axis];
      d -= dstStrides[axis] * shape[axis];
      index[axis] = 0;
    }
    if (axis < 0) return;
  }
}
