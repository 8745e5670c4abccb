/** Node-only parts of @recur/train: files written atomically. */
export { type AtomicWriteOptions, atomicWriteFile } from './atomic-write';
export { loadCheckpoint, saveCheckpoint } from './checkpoint-file';
