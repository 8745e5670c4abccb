/** Node-only file plumbing: files written atomically, files read from inside a model's folder. */
export { type AtomicWriteOptions, atomicWriteFile, removeStaleTemporaries } from './atomic-write';
export { readFileInFolder } from './folder-files';
