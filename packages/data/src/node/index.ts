/** Node-only parts of @recur/data: files written atomically (checkpoints, exports). */
export { type AtomicWriteOptions, atomicWriteFile } from './atomic-write';
