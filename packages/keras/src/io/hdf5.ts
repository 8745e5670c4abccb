import { checkElements, FormatError, type Tensor, tensor } from '@recur/tensor';
import type { WeightEntry } from './weights';

type H5Group = import('jsfive').Group;
type H5Dataset = import('jsfive').Dataset;

/**
 * Runs an HDF5 read; any failure of the reader is a FormatError. jsfive's own messages (strings,
 * plain Errors: "not an HDF5 file") are kept; an engine error it runs into on corrupt bytes
 * (TypeError, RangeError) says nothing to a user and is kept as the cause only.
 */
export function h5<T>(where: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const engine = e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError;
    const detail = engine ? 'corrupt or truncated data' : e instanceof Error ? e.message : String(e);
    const error = new FormatError(`${what}: not a readable HDF5 file (${detail})`, { file: where });
    (error as { cause?: unknown }).cause = e;
    throw error;
  }
}

let jsfive: typeof import('jsfive') | null = null;

/** Opens HDF5 bytes with jsfive (pure JavaScript, read-only; loaded on first use). */
export async function openH5(where: string, bytes: Uint8Array): Promise<H5Group> {
  jsfive ??= await import('jsfive');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return h5(where, 'opening', () => new (jsfive as typeof import('jsfive')).File(buffer, where));
}

export function isGroup(x: unknown): x is H5Group {
  return !!x && typeof x === 'object' && Array.isArray((x as H5Group).keys) && typeof (x as H5Group).get === 'function';
}

/** A child of a group, or undefined. */
export function child(where: string, g: H5Group, name: string): H5Group | H5Dataset | undefined {
  return h5(where, name, () => (g.keys.includes(name) ? g.get(name) : undefined));
}

/** A string attribute (h5py 3 writes variable-length strings, h5py 2 fixed-length bytes). */
export function stringAttr(where: string, g: H5Group, name: string): string | undefined {
  const v = h5(where, `attribute ${name}`, () => g.attrs[name]);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v).replace(/\0+$/, '');
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  throw new FormatError(`attribute '${name}' should be a string, got ${typeof v}`, { file: where });
}

/** A list-of-strings attribute (layer_names, weight_names). */
export function stringListAttr(where: string, g: H5Group, name: string): string[] {
  const v = h5(where, `attribute ${name}`, () => g.attrs[name]);
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((s) =>
    typeof s === 'string' ? s : s instanceof Uint8Array ? new TextDecoder().decode(s).replace(/\0+$/, '') : String(s),
  );
}

const FLOAT_DTYPES = new Set(['<f4', '<f8', '>f4', '>f8', '<f2', '>f2']);

/** A dataset as a lazily read weight (float datasets only: model weights). */
export function datasetEntry(where: string, path: string, d: H5Dataset, name?: string): WeightEntry {
  const shape = h5(where, path, () => [...d.shape]);
  if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new FormatError(`dataset has a bad shape [${shape}]`, { file: where, entry: path });
  checkElements(`${where}: dataset '${path}'`, shape);
  const dtype = h5(where, path, () => d.dtype);
  if (typeof dtype !== 'string' || !FLOAT_DTYPES.has(dtype)) {
    throw new FormatError(`dataset has dtype ${JSON.stringify(dtype)}; model weights are float (<f4, <f8)`, {
      file: where,
      entry: path,
    });
  }
  return {
    path,
    name,
    shape,
    load: (): Tensor => {
      const v = h5(where, path, () => d.value);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!v || v.length !== n)
        throw new FormatError(`dataset holds ${v?.length ?? 0} values for shape [${shape}]`, {
          file: where,
          entry: path,
        });
      return tensor(Float32Array.from(v), { shape, adopt: true });
    },
  };
}

export type { H5Dataset, H5Group };
