import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readFileInFolder } from '@recur/files/node';
import { FormatError, RecurError } from '@recur/tensor';
import { type LoadOptions, OnnxModel } from '../model';
import type { ExternalDataReader } from '../tensor-proto';

/**
 * Reads external data (PyTorch's dynamo exporter writes `model.onnx.data`) from files next to the
 * model, never outside its folder; each file is read once per load.
 */
export function externalDataReader(modelPath: string): ExternalDataReader {
  const where = resolve(modelPath);
  const folder = dirname(where);
  const files = new Map<string, Uint8Array>();
  return (location, offset, length) => {
    let data = files.get(location);
    if (!data) {
      data = readFileInFolder(folder, location, where);
      files.set(location, data);
    }
    const end = length === undefined ? data.length : offset + length;
    if (offset > data.length || end > data.length) {
      throw new FormatError(
        `external data '${location}' has ${data.length} bytes, the model asks for bytes ${offset}..${end}`,
        { file: where },
      );
    }
    return data.subarray(offset, end);
  };
}

/** Loads an .onnx file and the external data next to it. */
export function loadOnnxFile(path: string, options: Omit<LoadOptions, 'readExternal'> = {}): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new RecurError(`cannot read ${path}: ${(e as Error).message}`, 'io');
  }
  return OnnxModel.load(bytes, { name: path, ...options, readExternal: externalDataReader(path) });
}
