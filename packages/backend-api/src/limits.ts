import { LimitError } from './errors';
import { formatShape } from './shape';

/**
 * Caps on sizes that come from files or from data (a dimension in a model, a Range's limit, a
 * count in a checkpoint's metadata). A size over a cap is an error before anything is allocated,
 * so a small malicious file cannot make recur allocate gigabytes or loop for hours.
 */
export interface Limits {
  /** Elements in one tensor. Default 2²⁸ (1 GiB of float32). */
  maxElements: number;
  /** Bytes of tensor data one file or model may hold in all. Default 2³¹ (2 GiB). */
  maxBytes: number;
}

const DEFAULTS: Limits = { maxElements: 2 ** 28, maxBytes: 2 ** 31 };
let current: Limits = { ...DEFAULTS };

/** The size limits in force (see `setLimits`). */
export function getLimits(): Readonly<Limits> {
  return current;
}

/** Changes the caps (for larger models); returns the previous ones so a caller can restore them. */
export function setLimits(limits: Partial<Limits>): Limits {
  const previous = current;
  for (const [k, v] of Object.entries(limits)) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new LimitError(`setLimits: ${k} must be a positive integer, got ${v}`);
  }
  current = { ...current, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
  return previous;
}

/** The elements of `shape`, or a LimitError naming `what` when they are over the cap. */
export function checkElements(what: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (n > current.maxElements) {
    throw new LimitError(
      `${what}: ${formatShape(shape)} is ${n.toLocaleString('en-US')} elements, over the limit of ${current.maxElements.toLocaleString('en-US')} (setLimits({ maxElements }) raises it)`,
    );
  }
  return n;
}

/** A LimitError naming `what` when `bytes` is over the byte cap. */
export function checkBytes(what: string, bytes: number): void {
  if (bytes > current.maxBytes) {
    throw new LimitError(
      `${what}: ${bytes.toLocaleString('en-US')} bytes of tensor data, over the limit of ${current.maxBytes.toLocaleString('en-US')} (setLimits({ maxBytes }) raises it)`,
    );
  }
}
