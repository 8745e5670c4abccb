import { ConfigError } from '@recur/tensor';
import type { Model } from '../model';
import { compileToJson } from './compile-json';
import { writeKeras3 } from './keras3-format';
import { encodeModel, isRecurModel } from './recur-format';
import { writeModelJson } from './tfjs-format';

/**
 * The model files recur knows, as one table: how each is recognised by its contents, what it is
 * called, and — for the formats `save` writes — which paths pick it and how it is written.
 * `loadModel`, `save`, the `recur-keras` CLI and the demo all read it. Adding a format is one entry
 * (and its reader in `load.ts`).
 */
export interface ModelFileFormat {
  /** Its key: 'keras', 'h5', 'tfjs', 'recur', 'checkpoint', 'onnx'. */
  readonly name: ModelFileName;
  /** What people call it. */
  readonly description: string;
  /** Whether these bytes (the start of the main file) and this file name are this format. */
  detect(bytes: Uint8Array, name?: string): boolean;
  /** Whether `loadModel` reads it into a Keras model. */
  readonly loads: boolean;
  /** How `save` writes it (formats `save` writes): the files by name. */
  write?(model: Model, options: { includeOptimizer?: boolean }): Promise<Record<string, Uint8Array>>;
  /** Save paths that pick it (by their name). */
  readonly paths?: RegExp;
}

/** A model-file format's key. */
export type ModelFileName = 'keras' | 'h5' | 'recur' | 'checkpoint' | 'tfjs' | 'onnx';

const starts = (b: Uint8Array, sig: number[]) => sig.every((v, i) => b[i] === v);

/** A safetensors file: an 8-byte little-endian header length, then a JSON header. */
function isSafetensors(b: Uint8Array): boolean {
  if (b.length < 10) return false;
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  return n > 0 && 8 + n <= b.length && b[8] === 0x7b;
}

function isJson(b: Uint8Array): boolean {
  const head = new TextDecoder().decode(b.subarray(0, 64)).trimStart();
  return head.startsWith('{');
}

/** In the order `detectModelFile` tries them (the more specific first). */
export const MODEL_FILE_FORMATS: readonly ModelFileFormat[] = [
  {
    name: 'keras',
    description: 'Keras 3 .keras',
    detect: (b) => starts(b, [0x50, 0x4b, 0x03, 0x04]),
    loads: true,
    paths: /\.keras$/i,
    write: async (model) => ({
      'model.keras': await writeKeras3(model, compileToJson(model) as Record<string, unknown> | null),
    }),
  },
  {
    name: 'h5',
    description: 'Keras 2 .h5',
    detect: (b) => starts(b, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]),
    loads: true,
  },
  {
    name: 'recur',
    description: "recur's model file (safetensors)",
    detect: (b) => isSafetensors(b) && isRecurModel(b),
    loads: true,
    write: async (model, options) => ({ 'model.safetensors': encodeModel(model, options) }),
  },
  {
    name: 'checkpoint',
    description: 'a recur checkpoint (safetensors: weights, optimizer, vocabulary)',
    detect: (b) => isSafetensors(b),
    loads: false,
  },
  {
    name: 'tfjs',
    description: 'TensorFlow.js model.json',
    detect: (b, name) => isJson(b) || /\.json$/i.test(name ?? ''),
    loads: true,
    paths: /\.json$|[/\\]$/,
    write: async (model) => {
      const { json, weights } = writeModelJson(model);
      return { 'model.json': new TextEncoder().encode(JSON.stringify(json)), 'weights.bin': weights };
    },
  },
  {
    name: 'onnx',
    description: 'ONNX',
    // A ModelProto starts with field 1 (ir_version), a varint: byte 0x08.
    detect: (b, name) => b[0] === 0x08 || /\.onnx$/i.test(name ?? ''),
    loads: false,
  },
];

/** The format of a model file by its contents (and its name where the contents cannot tell), or undefined. */
export function detectModelFile(bytes: Uint8Array, name?: string): ModelFileFormat | undefined {
  return MODEL_FILE_FORMATS.find((f) => f.detect(bytes, name));
}

/** A format by its key. */
export function modelFileFormat(name: ModelFileName): ModelFileFormat {
  return MODEL_FILE_FORMATS.find((f) => f.name === name) as ModelFileFormat;
}

/** The formats `save` writes. */
export const SAVE_FORMATS = MODEL_FILE_FORMATS.filter((f) => f.write).map((f) => f.name);

/** The format a save path picks (recur's own file for any name no other format claims). */
export function saveFormatOf(path: string | undefined): ModelFileName {
  if (!path) return 'recur';
  if (/\.h5$|\.hdf5$/i.test(path)) {
    throw new ConfigError(
      `save: writing legacy .h5 is not supported; save to '${path.replace(/\.h5$|\.hdf5$/i, '.keras')}' (Keras 3) instead`,
    );
  }
  return MODEL_FILE_FORMATS.find((f) => f.write && f.paths?.test(path))?.name ?? 'recur';
}
