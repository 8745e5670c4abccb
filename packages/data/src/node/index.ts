/** Node-only parts of @recur/data: files written atomically, files read from inside a model's folder, CLI exits. */
export { type AtomicWriteOptions, atomicWriteFile, removeStaleTemporaries } from './atomic-write';
export { exitWithError } from './cli-errors';
export { readFileInFolder } from './folder-files';
