import {
  checkBytes,
  checkElements,
  type DType,
  FormatError,
  formatShape,
  type TypedArray,
  UnsupportedError,
} from '@recur/tensor';

/**
 * The safetensors format (what `safetensors.torch.load_file` reads): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * __metadata__: {string: string}}`, then the raw little-endian data. Small enough to write here.
 * Reading follows the format's rules as the reference implementation enforces them: the header
 * is at most 100 MB and starts with `{`, every tensor's byte range matches its dtype and shape,
 * and the ranges are contiguous, do not overlap and cover the data exactly. Each violation is a
 * FormatError with the byte offset of what is wrong.
 */
export interface SafeTensor {
  /** recur's dtype (the file's integer and float16 types are widened on read). */
  dtype: DType;
  /** Its dimensions. */
  shape: number[];
  /** The values, row-major. */
  data: TypedArray;
}

const TO_SAFE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
const MAX_HEADER = 100_000_000;

/** Every dtype of the format, with its size in bytes; those recur reads say what they become. */
const SAFE_DTYPES: Record<string, { bytes: number; as?: DType }> = {
  BOOL: { bytes: 1, as: 'bool' },
  U8: { bytes: 1, as: 'int32' },
  I8: { bytes: 1, as: 'int32' },
  I16: { bytes: 2, as: 'int32' },
  U16: { bytes: 2, as: 'int32' },
  I32: { bytes: 4, as: 'int32' },
  I64: { bytes: 8, as: 'int32' },
  F16: { bytes: 2, as: 'float32' },
  BF16: { bytes: 2, as: 'float32' },
  F32: { bytes: 4, as: 'float32' },
  F64: { bytes: 8, as: 'float64' },
  U32: { bytes: 4 },
  U64: { bytes: 8 },
  F8_E4M3: { bytes: 1 },
  F8_E5M2: { bytes: 1 },
};

/** A safetensors file of these tensors (sorted by name, 8-byte aligned) and `__metadata__` strings. */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const size = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: TO_SAFE[t.dtype], shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** IEEE half precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The raw little-endian bytes of one tensor as the typed array recur holds. */
function convert(what: string, name: string, dtype: string, raw: Uint8Array, n: number, at: number): TypedArray {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32':
      return new Float32Array(raw.slice().buffer);
    case 'F64':
      return new Float64Array(raw.slice().buffer);
    case 'I32':
      return new Int32Array(raw.slice().buffer);
    case 'BOOL': {
      const out = raw.slice();
      const bad = out.findIndex((v) => v > 1);
      if (bad >= 0)
        throw new FormatError(`BOOL value ${out[bad]} at element ${bad} is neither 0 nor 1`, {
          file: what,
          entry: name,
          offset: at + bad,
        });
      return out;
    }
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) {
        const h = view.getUint16(2 * i, true);
        if (dtype === 'BF16') bits[i] = h << 16;
        else out[i] = halfToFloat(h);
      }
      return out;
    }
    default: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v =
          dtype === 'U8'
            ? view.getUint8(i)
            : dtype === 'I8'
              ? view.getInt8(i)
              : dtype === 'I16'
                ? view.getInt16(2 * i, true)
                : dtype === 'U16'
                  ? view.getUint16(2 * i, true)
                  : Number(view.getBigInt64(8 * i, true));
        if (v > 2147483647 || v < -2147483648)
          throw new FormatError(`${dtype} value ${v} at element ${i} does not fit in int32`, {
            file: what,
            entry: name,
            offset: at + 8 * i,
          });
        out[i] = v;
      }
      return out;
    }
  }
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** One header entry, checked field by field. */
function readEntry(what: string, name: string, e: unknown): Entry {
  const fail = (message: string): never => {
    throw new FormatError(message, { file: what, entry: name });
  };
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    fail(`the header entry should be {dtype, shape, data_offsets}, got ${JSON.stringify(e)}`);
  const { dtype, shape, data_offsets: offsets } = e as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(SAFE_DTYPES, dtype))
    fail(`unknown dtype ${JSON.stringify(dtype)} (the format's are ${Object.keys(SAFE_DTYPES).join(', ')})`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    fail(`shape should be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => !Number.isSafeInteger(o) || o < 0) ||
    offsets[0] > offsets[1]
  )
    fail(`data_offsets should be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
  return {
    name,
    dtype: dtype as string,
    shape: shape as number[],
    begin: (offsets as number[])[0],
    end: (offsets as number[])[1],
  };
}

/** The tensors and `__metadata__` of a safetensors file, every header field and offset checked. */
export function decodeSafetensors(
  bytes: Uint8Array,
  what = 'safetensors',
): {
  /** The tensors by name. */
  tensors: Record<string, SafeTensor>;
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
} {
  if (bytes.length < 8)
    throw new FormatError(`${bytes.length} bytes is too short for a safetensors header (needs 8)`, {
      file: what,
      offset: 0,
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER))
    throw new FormatError(`header length ${n64} is over the format's limit of ${MAX_HEADER} bytes`, {
      file: what,
      offset: 0,
    });
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new FormatError(`header length ${n} runs past the end of the ${bytes.length}-byte file`, {
      file: what,
      offset: 0,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new FormatError('the header is not valid UTF-8', { file: what, offset: 8 });
  }
  if (!text.startsWith('{'))
    throw new FormatError('the header should be a JSON object starting with {', { file: what, offset: 8 });
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`the JSON header (bytes 8..${8 + n}) does not parse: ${(e as Error).message}`, {
      file: what,
      offset: 8,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new FormatError('the header should be a JSON object', { file: what, offset: 8 });
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value))
        throw new FormatError(`__metadata__ should be an object of strings, got ${JSON.stringify(value)}`, {
          file: what,
        });
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw new FormatError(`__metadata__ values should be strings; '${k}' is ${JSON.stringify(v)}`, {
            file: what,
          });
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    entries.push(readEntry(what, name, value));
  }
  // Contiguous, non-overlapping ranges that cover the data exactly, each of the right size.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let total = 0;
  for (const e of entries) {
    const at = dataStart + e.begin;
    if (e.begin !== expected) {
      throw new FormatError(
        e.begin < expected
          ? `data_offsets [${e.begin}, ${e.end}] overlap the tensor before (which ends at ${expected})`
          : `data_offsets [${e.begin}, ${e.end}] leave bytes ${expected}..${e.begin} unclaimed`,
        { file: what, entry: e.name, offset: at },
      );
    }
    const count = checkElements(`${what}: tensor '${e.name}'`, e.shape);
    const need = count * SAFE_DTYPES[e.dtype].bytes;
    if (e.end - e.begin !== need) {
      throw new FormatError(
        `${formatShape(e.shape)} ${e.dtype} needs ${need} bytes, but data_offsets [${e.begin}, ${e.end}] hold ${e.end - e.begin}`,
        { file: what, entry: e.name, offset: at },
      );
    }
    total += need;
    checkBytes(what, total);
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw new FormatError(
      `the tensors cover ${expected} bytes of data, but the file holds ${dataLength} after the header`,
      { file: what, offset: dataStart + expected },
    );
  }
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    const as = SAFE_DTYPES[e.dtype].as;
    if (!as)
      throw new UnsupportedError(
        `${what}: tensor '${e.name}' is ${e.dtype}; recur reads F32, F64, F16, BF16, I64, I32, I16, U16, I8, U8 and BOOL`,
      );
    const at = dataStart + e.begin;
    const n = (e.end - e.begin) / SAFE_DTYPES[e.dtype].bytes;
    const data = convert(what, e.name, e.dtype, bytes.subarray(at, dataStart + e.end), n, at);
    Object.defineProperty(tensors, e.name, {
      value: { dtype: as, shape: e.shape, data },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { tensors, metadata };
}
