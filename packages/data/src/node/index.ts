/**
 * Deprecated: the file plumbing moved to `@recur/files/node` and the CLI exit policy to
 * `@recur/cli`. These re-exports stay for one minor version.
 */
export { exitWithError } from '@recur/cli';
export {
  /** @deprecated import from `@recur/files/node` */
  type AtomicWriteOptions,
  /** @deprecated import from `@recur/files/node` */
  atomicWriteFile,
  /** @deprecated import from `@recur/files/node` */
  readFileInFolder,
  /** @deprecated import from `@recur/files/node` */
  removeStaleTemporaries,
} from '@recur/files/node';
