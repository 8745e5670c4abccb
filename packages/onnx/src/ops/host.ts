import type { DType, Tensor, TypedArray } from './tensor-ops';
import { tensor } from './tensor-ops';

/**
 * Host-side helpers for the index-heavy operators (TopK, CumSum, scatters, ...): they read the
 * values once, compute in JavaScript and make one tensor on the current backend, so every backend
 * runs them the same way. They appear on small index tensors around recurrent layers, not in the
 * hot path.
 */

/** Strides of a row-major shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** The lines along `axis`: `lines` of `n` elements, element j of line r at flat index `at(r, j)`. */
export function linesAlong(shape: readonly number[], axis: number) {
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  return {
    n,
    lines: outer * inner,
    at: (r: number, j: number) => (Math.floor(r / inner) * n + j) * inner + (r % inner),
  };
}

export function arrayFor(dtype: DType, n: number): TypedArray {
  if (dtype === 'float64') return new Float64Array(n);
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'bool') return new Uint8Array(n);
  return new Int32Array(n);
}

export function fromHost(data: TypedArray | number[], shape: readonly number[], dtype: DType): Tensor {
  const typed = Array.isArray(data) ? arrayFor(dtype, data.length).map((_, i) => data[i]) : data;
  return tensor(typed as TypedArray, { shape: [...shape], dtype });
}
