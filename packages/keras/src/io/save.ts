import { ConfigError, RecurError } from '@recur/tensor';
import type { Model } from '../model';
import { modelFileFormat, SAVE_FORMATS, saveFormatOf } from './model-files';

/** The file formats `save` writes. */
export type SaveFormat = 'recur' | 'keras' | 'tfjs';

/** How `save` writes a model. */
export interface SaveOptions {
  /** Default: from the path's extension (.keras, model.json / a folder, anything else recur's file). */
  format?: SaveFormat;
  /** Keep the optimizer's state (recur's file; default true), so training resumes where it stopped. */
  includeOptimizer?: boolean;
}

/** What save writes: the files by name (one for .keras and recur's file, model.json + weights.bin for tfjs). */
export interface SavedFiles {
  /** The format written. */
  format: SaveFormat;
  /** The files' bytes by name. */
  files: Record<string, Uint8Array>;
}

function formatOf(path: string | undefined, options: SaveOptions): SaveFormat {
  if (options.format !== undefined) {
    if (!(SAVE_FORMATS as readonly string[]).includes(options.format)) {
      throw new ConfigError(
        `save: format must be ${SAVE_FORMATS.map((f) => `'${f}'`).join(', ')}, got '${options.format}'`,
      );
    }
    return options.format;
  }
  return saveFormatOf(path) as SaveFormat;
}

/** Serialises a model in a format, in memory (any runtime): the files by name, from the model-file table. */
export async function serializeModel(model: Model, format: SaveFormat, options: SaveOptions = {}): Promise<SavedFiles> {
  if (!model.hasGraph)
    throw new ConfigError(`${model.name}: build the model (give it an input shape) before saving it`);
  const write = modelFileFormat(formatOf(undefined, { format })).write;
  if (!write) throw new ConfigError(`save: recur does not write ${modelFileFormat(format).description} files`);
  return { format, files: await write(model, options) };
}

/**
 * A save path as a file path: tfjs' `file://dir` is the folder dir (model.json + weights.bin in it,
 * as tfjs' file handler writes), `file://dir/model.json` that file; other URL schemes are refused.
 */
function localPath(path: string): string {
  const file = /^file:\/\//i.exec(path);
  if (file) {
    const rest = path.slice(file[0].length);
    if (!rest) throw new ConfigError(`save: '${path}' names no folder`);
    return /\.json$/i.test(rest) || /[/\\]$/.test(rest) ? rest : `${rest}/`;
  }
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(path);
  if (scheme) {
    throw new ConfigError(
      `save: '${scheme[1]}://' is not a place recur's save writes to; give a file path (or 'file://folder'), or call save() without a path for the bytes`,
    );
  }
  return path;
}

/**
 * Saves a model. With a path (Node), writes atomically (a temporary file, then a rename): a
 * `.keras` archive, a tfjs `model.json` + `weights.bin` (for a path ending in .json or a folder),
 * or recur's own file (any other name: weights, architecture, compile settings and optimizer
 * state in one safetensors file). Without a path, returns the bytes of recur's file (or of
 * `options.format`), for a browser to download or keep in IndexedDB.
 */
export async function saveModel(model: Model, given?: string, options: SaveOptions = {}): Promise<SavedFiles> {
  const path = given === undefined ? undefined : localPath(given);
  const format = formatOf(path, options);
  const saved = await serializeModel(model, format, options);
  if (path === undefined) return saved;
  const isNode =
    typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  if (!isNode) throw new ConfigError('save: writing to a path needs Node; call save() without a path for the bytes');
  const { atomicWriteFile } = await import('@recur/files/node');
  const { mkdirSync } = await import('node:fs');
  const p = await import('node:path');
  const dir = format === 'tfjs' ? (/[/\\]$/.test(path) ? path : p.dirname(path)) : p.dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    if (format === 'tfjs') {
      atomicWriteFile(p.join(dir, 'weights.bin'), saved.files['weights.bin']);
      atomicWriteFile(/[/\\]$/.test(path) ? p.join(dir, 'model.json') : path, saved.files['model.json']);
    } else {
      atomicWriteFile(path, Object.values(saved.files)[0]);
    }
  } catch (e) {
    throw new RecurError(`save: cannot write ${path}: ${(e as Error).message}`, 'io');
  }
  return saved;
}
