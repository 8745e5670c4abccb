import { existsSync, statSync } from 'node:fs';
import { ConfigError } from '@recur/tensor';
import { InvalidArgumentError } from 'commander';

/** Commander parsers: a bad value is a usage error (exit code 2) naming the flag's expectation. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
}

export function decimal(min: number, max: number, options: { exclusiveMin?: boolean } = {}) {
  return (value: string): number => {
    const n = Number(value);
    const low = options.exclusiveMin ? n > min : n >= min;
    if (value.trim() === '' || !Number.isFinite(n) || !low || n > max) {
      throw new InvalidArgumentError(
        `expected a number ${options.exclusiveMin ? '>' : '≥'} ${min} and ≤ ${max}, got '${value}'`,
      );
    }
    return n;
  };
}

/** A usage error found after parsing (a missing file, say): the message and exit code 2. */
/** A command-line argument that cannot be used: bad input, so a recur error (one line, exit 2). */
export class UsageError extends ConfigError {}

export function existingFile(path: string, what: string): string {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${what} '${path}' does not exist`);
  return path;
}
