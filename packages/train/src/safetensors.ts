import type { DType, TypedArray } from '@recur/tensor';
import { FormatError } from '@recur/tensor';

/**
 * The safetensors format (what `safetensors.torch.load_file` reads): an 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
 * {string: string}}`, then the raw little-endian data. Small enough to write here; every field is
 * checked on the way in, with the byte offset of what is wrong.
 */
export interface SafeTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

const TO_SAFE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const FROM_SAFE: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

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

export function decodeSafetensors(
  bytes: Uint8Array,
  what = 'safetensors',
): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8)
    throw new FormatError(`${what}: ${bytes.length} bytes is too short for a safetensors header (needs 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) {
    throw new FormatError(`${what}: header length ${n} at offset 0 runs past the end of the ${bytes.length}-byte file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new FormatError(`${what}: the JSON header (bytes 8..${8 + n}) does not parse: ${(e as Error).message}`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dtype = FROM_SAFE[e?.dtype];
    if (!dtype)
      throw new FormatError(
        `${what}: tensor '${name}' has dtype ${JSON.stringify(e?.dtype)}; recur reads F32, F64, I32, BOOL`,
      );
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new FormatError(`${what}: tensor '${name}' has a bad shape ${JSON.stringify(e.shape)}`);
    }
    const [begin, end] = e.data_offsets ?? [];
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (
      !Number.isInteger(begin) ||
      !Number.isInteger(end) ||
      begin < 0 ||
      end > dataLength ||
      end - begin !== count * BYTES[dtype]
    ) {
      throw new FormatError(
        `${what}: tensor '${name}' [${e.shape}] ${e.dtype} declares bytes ${begin}..${end} (file offset ${dataStart + begin}), but needs ${count * BYTES[dtype]} bytes within the ${dataLength} bytes of data`,
      );
    }
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    const data =
      dtype === 'float32'
        ? new Float32Array(raw.buffer)
        : dtype === 'float64'
          ? new Float64Array(raw.buffer)
          : dtype === 'int32'
            ? new Int32Array(raw.buffer)
            : new Uint8Array(raw.buffer);
    tensors[name] = { dtype, shape: e.shape, data };
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, metadata };
}
