import { FormatError } from '@recur/tensor';

/**
 * Refuses a file name, taken from inside a model file, that could leave the model's folder: an
 * absolute path, a drive letter, a URL scheme, or a `..` segment. `where` names the model.
 */
export function checkRelativePath(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FormatError(`a referenced file name should be a non-empty string, got ${JSON.stringify(name)}`, {
      file: where,
    });
  }
  const parts = name.replace(/\\/g, '/').split('/');
  if (
    name.startsWith('/') ||
    name.startsWith('\\') ||
    /^[a-zA-Z]:/.test(name) ||
    /^[a-z][a-z0-9+.-]*:/i.test(name) ||
    parts.includes('..') ||
    name.includes('\0')
  ) {
    throw new FormatError(`the file '${name}' is outside the model's folder; only files next to the model are read`, {
      file: where,
    });
  }
}
