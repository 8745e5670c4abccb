import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Test hook: runs after the temporary file is complete and synced, before the rename. */
  beforeRename?: (tempPath: string) => void;
}

/**
 * Writes `bytes` so that `path` holds either its old contents or the new ones, never a mix: a
 * temporary file in the same folder, fsync, rename over the target, fsync of the folder. A
 * process killed at any point leaves the previous file intact (and at worst a stray temporary).
 */
export function atomicWriteFile(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd = openSync(temp, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  options.beforeRename?.(temp);
  try {
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  // Make the rename itself durable.
  fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
