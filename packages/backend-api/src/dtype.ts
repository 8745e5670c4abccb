/** Element types a recur tensor can hold. `bool` is what comparisons return. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** Typed array that stores each dtype on the CPU. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The typed array that holds a dtype's values (Float32Array for float32, Uint8Array for bool, ...). */
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

/** Every dtype recur has. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Whether the dtype is float32 or float64 (what gradients and most math take). */
export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Allocates a zero-filled typed array for `dtype`. */
export function allocTypedArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** The dtype a typed array stores (Uint8Array is read as bool). */
export function dtypeOfTypedArray(values: TypedArray): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Int32Array) return 'int32';
  return 'bool';
}

/** The result dtype of a binary arithmetic op, following PyTorch's promotion for these four types. */
export function promoteDTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}
