import { readFileSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { FormatError, RecurError } from '@recur/tensor';
import { checkRelativePath } from '../relative-path';

/**
 * Reads a file a model refers to (external data, a weight shard), which must lie inside the
 * model's folder: no absolute path, no `..`, and no symlink that resolves outside it.
 * `where` names the model in error messages.
 */
export function readFileInFolder(folder: string, name: string, where: string): Uint8Array {
  checkRelativePath(name, where);
  const target = resolve(folder, name);
  let real: string;
  let realFolder: string;
  try {
    realFolder = realpathSync.native(folder);
    real = realpathSync.native(target);
  } catch {
    throw new RecurError(`${where}: the file '${name}' it refers to does not exist (looked for ${target})`, 'io');
  }
  if (real !== realFolder && !real.startsWith(realFolder + sep)) {
    throw new FormatError(`the file '${name}' resolves to ${real}, outside the model's folder ${realFolder}`, {
      file: where,
    });
  }
  try {
    const b = readFileSync(real);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new RecurError(`${where}: cannot read '${name}' at ${real} (${(e as Error).message})`, 'io');
  }
}
