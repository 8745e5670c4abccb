import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RecurError } from '@recur/tensor';

export interface AtomicWriteOptions {
  /** Test hook: runs after the temporary file is complete and synced, before the rename. */
  beforeRename?: (tempPath: string) => void;
}

/** recur's temporary files: `.<target>.<pid>.<ms>.tmp` next to the target. */
const TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of saves whose process was killed before its rename (only files
 * that match recur's pattern and whose writer is gone). Best effort: a folder it cannot list is
 * left alone.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || isRunning(Number(m[1]))) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another process cleaned it first, or it is not ours to remove
    }
  }
  return removed;
}

function ioError(path: string, action: string, e: unknown): RecurError {
  const err = e as NodeJS.ErrnoException;
  return new RecurError(
    `cannot write ${path}: ${action} failed (${err.code ?? ''}${err.code ? ': ' : ''}${err.message})`,
    'io',
  );
}

/**
 * Writes `bytes` so that `path` holds either its old contents or the new ones, never a mix: a
 * temporary file in the same folder, fsync, rename over the target, fsync of the folder. A
 * process killed at any point leaves the previous file intact; its temporary file is removed by
 * the next save into that folder. Errors name the path (disk full, permission denied).
 */
export function atomicWriteFile(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  removeStaleTemporaries(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (e) {
    throw ioError(path, `creating the temporary file ${temp}`, e);
  }
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw ioError(path, `writing ${bytes.length} bytes to ${temp}`, e);
  }
  closeSync(fd);
  options.beforeRename?.(temp);
  try {
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw ioError(path, `renaming ${temp} over it`, e);
  }
  // Make the rename itself durable.
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // some file systems do not open folders; the file itself is complete
  }
  try {
    fsyncSync(fd);
  } catch {
    // fsync of a folder is refused on some file systems; the rename has happened
  } finally {
    closeSync(fd);
  }
}
