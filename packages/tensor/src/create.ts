import {
  allocTypedArray,
  checkElements,
  type DType,
  DTypeError,
  dtypeOfTypedArray,
  formatShape,
  RecurError,
  ShapeError,
  sizeOf,
  type TypedArray,
  ValueError,
} from '@recur/backend-api';
import { getBackend } from './engine';
import { type NestedArray, Tensor } from './tensor';

/** dtypes a caller may pass in: int64 arrives from ONNX and PyTorch and is narrowed to int32. */
export type InputDType = DType | 'int64';

/** What `tensor(values, options)` is told besides the values. */
export interface TensorOptions {
  /** The shape; default: the nesting of the values (a flat array is 1-D). */
  shape?: readonly number[];
  /** The dtype; default: float32, or the typed array's own (int64 is narrowed to int32). */
  dtype?: InputDType;
  /**
   * Use a typed array of the final dtype as the tensor's storage instead of copying it (weights
   * read from a file are allocated once). The caller must not change the array afterwards.
   */
  adopt?: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flatten(values: NestedArray, shape: readonly number[], out: number[], axis = 0, path = ''): void {
  if (axis === shape.length) {
    if (typeof values !== 'number' && typeof values !== 'boolean') {
      throw new RecurError(
        `tensor: expected a number at ${path || 'the top'}, got ${Array.isArray(values) ? 'an array' : typeof values}`,
      );
    }
    out.push(Number(values));
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[axis]) {
    throw new ShapeError(
      `tensor: ragged nested array: expected ${shape[axis]} elements at ${path || 'the top'} (shape ${formatShape(shape)}), got ${Array.isArray(values) ? values.length : 'a number'}`,
    );
  }
  for (let i = 0; i < values.length; i++) flatten(values[i], shape, out, axis + 1, `${path}[${i}]`);
}

/** Narrows int64 values (bigint or number) to int32, refusing any that do not fit. */
export function narrowInt64(values: ArrayLike<number | bigint>): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      throw new ValueError(`int64 → int32: value ${String(values[i])} at index ${i} does not fit in int32`);
    }
    out[i] = v;
  }
  return out;
}

function toTypedArray(values: ArrayLike<number | bigint>, dtype: InputDType): TypedArray {
  if (dtype === 'int64') return narrowInt64(values);
  if (dtype === 'int32') {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
        throw new DTypeError(`tensor: value ${String(values[i])} at index ${i} is not an int32`);
      }
      out[i] = v;
    }
    return out;
  }
  const out = allocTypedArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = dtype === 'bool' ? (Number(values[i]) ? 1 : 0) : Number(values[i]);
  return out;
}

/**
 * Creates a tensor from a number, nested arrays, a flat array with `shape`, or a typed array
 * (whose dtype is kept unless `dtype` says otherwise). The default dtype is float32, as in PyTorch.
 *
 * @example
 * ```ts
 * import { tensor } from '@recur/tensor';
 * const x = tensor([[1, 2, 3], [4, 5, 6]]); // float32 [2, 3]
 * const ids = tensor([3, 1, 4], { dtype: 'int32' });
 * const flat = tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
 * console.log(x.shape, ids.dtype, Array.from(flat.dataSync())); // [2, 3] 'int32' [1, 2, 3, 4]
 * ```
 */
export function tensor(
  values: NestedArray | TypedArray | BigInt64Array | readonly number[],
  options: TensorOptions = {},
): Tensor {
  let flat: ArrayLike<number | bigint>;
  let shape: readonly number[];
  let dtype: InputDType = options.dtype ?? 'float32';
  if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number | bigint>;
    if (values instanceof BigInt64Array) dtype = 'int64';
    else if (!options.dtype) dtype = dtypeOfTypedArray(values as TypedArray);
    shape = options.shape ?? [flat.length];
  } else if (options.shape && Array.isArray(values) && values.every((v) => typeof v === 'number')) {
    flat = values as number[];
    shape = options.shape;
  } else {
    shape = inferShape(values as NestedArray);
    const out: number[] = [];
    flatten(values as NestedArray, shape, out);
    flat = out;
    if (options.shape) {
      if (sizeOf(options.shape) !== out.length) {
        throw new ShapeError(`tensor: ${out.length} values do not fill shape ${formatShape(options.shape)}`);
      }
      shape = options.shape;
    }
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: bad shape ${formatShape(shape)}`);
  }
  if (sizeOf(shape) !== flat.length) {
    throw new ShapeError(
      `tensor: ${flat.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
  const finalDType: DType = dtype === 'int64' ? 'int32' : dtype;
  const data =
    ArrayBuffer.isView(flat) && dtype !== 'int64' && dtypeOfTypedArray(flat as TypedArray) === finalDType
      ? options.adopt
        ? (flat as TypedArray)
        : (flat as TypedArray).slice()
      : toTypedArray(flat, dtype);
  const backend = getBackend();
  return new Tensor(backend.fromValues(data, shape, finalDType), backend);
}

/** A rank-0 tensor. */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor([value], { shape: [], dtype });
}

/** A tensor of `shape` with every element `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`full: bad shape ${formatShape(shape)}`);
  }
  checkElements('full', shape);
  const backend = getBackend();
  return new Tensor(backend.fill(shape, value, dtype), backend);
}

/** A tensor of `shape` filled with 0. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

/** A tensor of `shape` filled with 1. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** Zeros of x's shape and dtype. */
export function zerosLike(x: Tensor): Tensor {
  return full(x.shape, 0, x.dtype);
}

/** Ones of x's shape and dtype. */
export function onesLike(x: Tensor): Tensor {
  return full(x.shape, 1, x.dtype);
}

/** `value` everywhere, in x's shape and dtype. */
export function fullLike(x: Tensor, value: number): Tensor {
  return full(x.shape, value, x.dtype);
}

/**
 * Values from `start` up to (not including) `stop` by `step`, as NumPy's arange;
 * `arange(n)` counts 0..n-1. int32 when all arguments are integers, else float32.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new ValueError('arange: step must not be 0');
  if (![start, stop, step].every(Number.isFinite))
    throw new ValueError(`arange: start, stop and step must be finite numbers, got ${start}, ${stop}, ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  checkElements(`arange(${start}, ${stop}, ${step})`, [n]);
  const type = dtype ?? ([start, stop, step].every(Number.isInteger) ? 'int32' : 'float32');
  const data = allocTypedArray(type, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  const backend = getBackend();
  return new Tensor(backend.fromValues(data, [n], type), backend);
}

/** A copy of `x` on another backend (weights moving with a model, results coming back). */
export function toBackend(x: Tensor, backend: import('@recur/backend-api').Backend): Tensor {
  x.assertAlive('toBackend');
  if (x.backend === backend) return new Tensor(backend.reshape(x.storage, x.shape), backend);
  return new Tensor(backend.fromValues(x.dataSync(), x.shape, x.dtype), backend);
}
