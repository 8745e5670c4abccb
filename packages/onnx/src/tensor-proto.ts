import {
  checkElements,
  type DType,
  FormatError,
  formatShape,
  LimitError,
  narrowInt64,
  RecurError,
  type Tensor,
  tensor,
  UnsupportedError,
} from '@recur/tensor';
import { DataType, type Int64Like, type onnx, toNumber } from './proto';

/** Reads the bytes of an external-data tensor: location relative to the model, offset, length. */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 };
const SUPPORTED = 'float, double, int8/32/64, uint8, bool are';

function dims(name: string, t: onnx.ITensorProto): number[] {
  const shape = (t.dims ?? []).map((d) => toNumber(d as Int64Like));
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new FormatError(`bad dimension ${d} in ${formatShape(shape)}`, { entry: name });
  }
  try {
    checkElements(`tensor '${name}'`, shape);
  } catch (e) {
    throw e instanceof LimitError ? e : new FormatError((e as Error).message, { entry: name });
  }
  return shape;
}

/** A non-negative integer from an external-data entry (stored as a decimal string). */
function externalNumber(name: string, key: string, v: string | null | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
    throw new FormatError(`external data ${key} should be a non-negative integer, got ${JSON.stringify(v)}`, {
      entry: name,
    });
  }
  return n;
}

function typedFromRaw(name: string, type: number, raw: Uint8Array, n: number): ArrayLike<number | bigint> {
  const need = n * (BYTES[type] ?? 0);
  if (raw.length < need) {
    throw new FormatError(`${raw.length} bytes of data for ${n} elements of type ${type} (needs ${need})`, {
      entry: name,
    });
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
      throw new UnsupportedError(`tensor '${name}': data type ${type} is not supported (${SUPPORTED})`);
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
      throw new UnsupportedError(`tensor '${name}': data type ${type} is not supported (${SUPPORTED})`);
  }
}

function externalValues(
  t: onnx.ITensorProto,
  name: string,
  type: number,
  n: number,
  readExternal?: ExternalDataReader,
): ArrayLike<number | bigint> {
  const entries: Record<string, string> = {};
  for (const e of t.externalData ?? []) entries[e.key ?? ''] = e.value ?? '';
  const location = entries.location;
  if (!location) throw new FormatError('external data without a location', { entry: name });
  if (!readExternal) {
    throw new FormatError(`stored in external file '${location}', but no folder was given to read it from`, {
      entry: name,
    });
  }
  const offset = externalNumber(name, 'offset', entries.offset) ?? 0;
  const length = externalNumber(name, 'length', entries.length);
  const need = n * (BYTES[type] ?? 0);
  if (length !== undefined && length !== need) {
    throw new FormatError(
      `external data length ${length} does not match ${n} elements of type ${type} (${need} bytes)`,
      { entry: name },
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = readExternal(location, offset, length ?? need);
  } catch (e) {
    if (e instanceof RecurError) throw e;
    throw new RecurError(`tensor '${name}': reading external data '${location}' failed: ${(e as Error).message}`, 'io');
  }
  return typedFromRaw(name, type, bytes, n);
}

/** A TensorProto (inline, raw or external data) as a recur tensor; int64 is narrowed to int32 with a range check. */
export function tensorFromProto(t: onnx.ITensorProto, readExternal?: ExternalDataReader): Tensor {
  const name = t.name || '(unnamed)';
  const shape = dims(name, t);
  const n = shape.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const dtype = recurDType(name, type);
  let values: ArrayLike<number | bigint>;
  if (t.dataLocation === 1) values = externalValues(t, name, type, n, readExternal);
  else if (t.rawData && t.rawData.length > 0) values = typedFromRaw(name, type, t.rawData, n);
  else if (type === DataType.FLOAT) values = t.floatData ?? [];
  else if (type === DataType.DOUBLE) values = t.doubleData ?? [];
  else if (type === DataType.INT64) values = (t.int64Data ?? []).map((v) => toNumber(v as Int64Like));
  else values = t.int32Data ?? [];
  if (values.length !== n) {
    throw new FormatError(`${formatShape(shape)} has ${values.length} values, expected ${n}`, { entry: name });
  }
  try {
    if (dtype === 'int64') return tensor(narrowInt64(values), { shape, dtype: 'int32' });
    const typed = ArrayBuffer.isView(values) ? values : null;
    const same =
      (dtype === 'float32' && typed instanceof Float32Array) ||
      (dtype === 'float64' && typed instanceof Float64Array) ||
      (dtype === 'int32' && typed instanceof Int32Array);
    return same
      ? tensor(values as Float32Array, { shape, dtype })
      : tensor(Array.from(values as ArrayLike<number>), { shape, dtype });
  } catch (e) {
    // An int64 out of int32's range, a float in an int32 field.
    throw new FormatError((e as Error).message, { entry: name });
  }
}
