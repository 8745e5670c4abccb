/**
 * recur's file plumbing that runs anywhere: the rule that keeps the files a model refers to inside
 * its folder. The Node-only parts (atomic writes, contained reads) are in `@recur/files/node`.
 */
export { checkRelativePath } from './relative-path';
