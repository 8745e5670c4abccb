import {
  type DType,
  FormatError,
  formatShape,
  narrowInt64,
  type Tensor,
  tensor,
  UnsupportedError,
} from '@recur/tensor';
import { DataType, type Int64Like, type onnx, toNumber } from './proto';

/** The largest tensor a model may declare; larger ones are refused before anything is allocated. */
export const MAX_ELEMENTS = 1 << 28;

/** Reads the bytes of an external-data tensor: location relative to the model, offset, length. */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

function dims(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d as Int64Like));
}

function elementCount(name: string, shape: number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new FormatError(`tensor '${name}': bad dimension ${d} in ${formatShape(shape)}`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) {
    throw new FormatError(
      `tensor '${name}' declares ${formatShape(shape)} = ${n} elements, more than recur loads (${MAX_ELEMENTS})`,
    );
  }
  return n;
}

const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 };

function typedFromRaw(name: string, type: number, raw: Uint8Array, n: number): ArrayLike<number | bigint> {
  const need = n * (BYTES[type] ?? 0);
  if (raw.length < need) {
    throw new FormatError(
      `tensor '${name}': ${raw.length} bytes of data for ${n} elements of type ${type} (needs ${need})`,
    );
  }
  // A fresh copy: protobufjs hands out Node Buffers, whose .slice is a view into a shared pool.
  const copy = new Uint8Array(raw.subarray(0, need));
  const buf = copy.buffer;
  switch (type) {
    case DataType.FLOAT:
      return new Float32Array(buf);
    case DataType.DOUBLE:
      return new Float64Array(buf);
    case DataType.INT32:
      return new Int32Array(buf);
    case DataType.INT64:
      return new BigInt64Array(buf);
    case DataType.INT8:
      return new Int8Array(buf);
    case DataType.UINT8:
    case DataType.BOOL:
      return new Uint8Array(buf);
    default:
      throw new UnsupportedError(
        `tensor '${name}': data type ${type} is not supported (float, double, int8/32/64, uint8, bool are)`,
      );
  }
}

function recurDType(name: string, type: number): DType | 'int64' {
  switch (type) {
    case DataType.FLOAT:
      return 'float32';
    case DataType.DOUBLE:
      return 'float64';
    case DataType.INT64:
      return 'int64';
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8:
      return 'int32';
    case DataType.BOOL:
      return 'bool';
    default:
      throw new UnsupportedError(
        `tensor '${name}': data type ${type} is not supported (float, double, int8/32/64, uint8, bool are)`,
      );
  }
}

/** A TensorProto (inline, raw or external data) as a recur tensor; int64 is narrowed to int32 with a range check. */
export function tensorFromProto(t: onnx.ITensorProto, readExternal?: ExternalDataReader): Tensor {
  const name = t.name ?? '(unnamed)';
  const shape = dims(t);
  const n = elementCount(name, shape);
  const type = t.dataType ?? 0;
  const dtype = recurDType(name, type);
  let values: ArrayLike<number | bigint>;
  if (t.dataLocation === 1) {
    const entries = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (!entries.location) throw new FormatError(`tensor '${name}': external data without a location`);
    if (!readExternal)
      throw new FormatError(
        `tensor '${name}': stored in external file '${entries.location}', but no folder was given to read it from`,
      );
    const offset = Number(entries.offset ?? 0);
    const length = entries.length !== undefined ? Number(entries.length) : undefined;
    const bytes = readExternal(entries.location, offset, length);
    values = typedFromRaw(name, type, bytes, n);
  } else if (t.rawData && t.rawData.length > 0) {
    values = typedFromRaw(name, type, t.rawData, n);
  } else if (type === DataType.FLOAT) values = t.floatData ?? [];
  else if (type === DataType.DOUBLE) values = t.doubleData ?? [];
  else if (type === DataType.INT64) values = (t.int64Data ?? []).map((v) => toNumber(v as Int64Like));
  else values = t.int32Data ?? [];
  if (values.length !== n) {
    throw new FormatError(`tensor '${name}' ${formatShape(shape)}: has ${values.length} values, expected ${n}`);
  }
  if (dtype === 'int64') return tensor(narrowInt64(values), { shape, dtype: 'int32' });
  const typed = ArrayBuffer.isView(values) ? values : null;
  const same =
    (dtype === 'float32' && typed instanceof Float32Array) ||
    (dtype === 'float64' && typed instanceof Float64Array) ||
    (dtype === 'int32' && typed instanceof Int32Array);
  return same
    ? tensor(values as Float32Array, { shape, dtype })
    : tensor(Array.from(values as ArrayLike<number>), { shape, dtype });
}
