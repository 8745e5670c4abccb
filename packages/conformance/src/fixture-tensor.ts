import { type DType, type Tensor, tensor } from '@recur/tensor';

/** A tensor as the fixtures store it: `{shape, dtype, data}` with flat row-major data. */
export interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int64' | 'int32' | 'bool';
  data: number[];
}

/** Loads a fixture tensor; floats become `floatDType` (the precision under test), int64 narrows to int32. */
export function loadTensor(t: FixtureTensor, floatDType: DType = 'float32'): Tensor {
  const dtype = t.dtype === 'float64' || t.dtype === 'float32' ? floatDType : t.dtype;
  return tensor(t.data, { shape: t.shape, dtype });
}

export interface Comparison {
  name: string;
  shape: number[];
  maxAbsError: number;
  maxRelError: number;
  ok: boolean;
  /** Which bound decided, for the report. */
  rule: string;
}

/** Tolerances: an element passes when within `atol` absolutely or `rtol` relatively. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** float32 as the conformance issue states it: 1e-4 absolute or 1e-3 relative. */
export const FLOAT32_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-3 };
export const FLOAT64_TOLERANCE: Tolerance = { atol: 1e-9, rtol: 1e-7 };

export function compareTensor(name: string, got: Tensor, want: FixtureTensor, tol: Tolerance): Comparison {
  const shape = [...got.shape];
  if (shape.length !== want.shape.length || shape.some((d, i) => d !== want.shape[i])) {
    return {
      name,
      shape,
      maxAbsError: Number.POSITIVE_INFINITY,
      maxRelError: Number.POSITIVE_INFINITY,
      ok: false,
      rule: `shape [${shape}] != expected [${want.shape}]`,
    };
  }
  const values = got.dataSync();
  let maxAbsError = 0;
  let maxRelError = 0;
  let ok = true;
  for (let i = 0; i < want.data.length; i++) {
    const abs = Math.abs(values[i] - want.data[i]);
    const rel = abs / Math.max(Math.abs(want.data[i]), 1e-30);
    maxAbsError = Math.max(maxAbsError, abs);
    if (abs > tol.atol) maxRelError = Math.max(maxRelError, rel);
    if (!(abs <= tol.atol || rel <= tol.rtol)) ok = false;
  }
  const rule = maxRelError === 0 ? `abs ≤ ${tol.atol}` : `abs ≤ ${tol.atol} or rel ≤ ${tol.rtol}`;
  return { name, shape, maxAbsError, maxRelError, ok, rule };
}
