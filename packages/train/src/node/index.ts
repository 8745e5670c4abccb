/** Node-only parts of @recur/train: files written atomically. */
export { type AtomicWriteOptions, atomicWriteFile } from '@recur/files/node';
export { loadCheckpoint, saveCheckpoint } from './checkpoint-file';
