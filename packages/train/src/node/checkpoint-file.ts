import { readFileSync } from 'node:fs';
import { type AtomicWriteOptions, atomicWriteFile } from '@recur/files/node';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../checkpoint';

/** Saves a checkpoint file atomically (see atomicWriteFile). */
export function saveCheckpoint(path: string, checkpoint: Checkpoint, options: AtomicWriteOptions = {}): void {
  atomicWriteFile(path, encodeCheckpoint(checkpoint), options);
}

/** Loads a checkpoint file; errors name the file and the byte offset of what is wrong. */
export function loadCheckpoint(path: string): Checkpoint {
  return decodeCheckpoint(new Uint8Array(readFileSync(path)), path);
}
