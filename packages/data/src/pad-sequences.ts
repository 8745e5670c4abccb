import { type DType, ShapeError, type Tensor, tensor, ValueError } from '@recur/tensor';

/** How `padSequences` pads (Keras' pad_sequences arguments). */
export interface PadOptions {
  /** Length of every row; default the longest sequence. */
  maxlen?: number;
  /** Where padding goes: 'pre' (Keras' default) or 'post'. */
  padding?: 'pre' | 'post';
  /** Which end of a too-long sequence is cut: 'pre' (Keras' default) or 'post'. */
  truncating?: 'pre' | 'post';
  /** The padding value (default 0). */
  value?: number;
  /** The result's dtype (default int32). */
  dtype?: DType;
}

/**
 * Keras' pad_sequences: a list of id sequences → one [N, maxlen] tensor (int32 by default).
 *
 * @example
 * ```ts
 * import { padSequences } from '@recur/data';
 * const pre = padSequences([[1, 2, 3], [4]]); // Keras' default: pad and cut at the front
 * const post = padSequences([[1, 2, 3], [4]], { padding: 'post', maxlen: 2, truncating: 'post' });
 * console.log(Array.from(pre.dataSync()), Array.from(post.dataSync())); // [1, 2, 3, 0, 0, 4] [1, 2, 4, 0]
 * ```
 */
export function padSequences(sequences: readonly (readonly number[])[], options: PadOptions = {}): Tensor {
  const maxlen = options.maxlen ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  if (!Number.isInteger(maxlen) || maxlen < 0)
    throw new ValueError(`padSequences: maxlen must be a non-negative integer, got ${maxlen}`);
  const padding = options.padding ?? 'pre';
  const truncating = options.truncating ?? 'pre';
  for (const [name, v] of [
    ['padding', padding],
    ['truncating', truncating],
  ] as const) {
    if (v !== 'pre' && v !== 'post') throw new ValueError(`padSequences: ${name} must be 'pre' or 'post', got '${v}'`);
  }
  const value = options.value ?? 0;
  const out = new Array<number>(sequences.length * maxlen).fill(value);
  sequences.forEach((seq, i) => {
    const kept =
      seq.length <= maxlen ? seq : truncating === 'pre' ? seq.slice(seq.length - maxlen) : seq.slice(0, maxlen);
    const start = padding === 'pre' ? maxlen - kept.length : 0;
    for (let j = 0; j < kept.length; j++) out[i * maxlen + start + j] = kept[j];
  });
  return tensor(out, { shape: [sequences.length, maxlen], dtype: options.dtype ?? 'int32' });
}

/** true where `padded` is not the padding value (Keras' mask for maskZero). */
export function maskFromPadded(padded: Tensor, padValue = 0): Tensor {
  const v = padded.dataSync();
  const m = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) m[i] = v[i] !== padValue ? 1 : 0;
  return tensor(m, { shape: padded.shape, dtype: 'bool' });
}

/**
 * Lengths of a post-padded [B, T] batch: the position after each row's last non-padding entry
 * (so a real token equal to the padding value inside a sequence is kept).
 */
export function lengthsFromPadded(padded: Tensor, padValue = 0): number[] {
  if (padded.rank !== 2) throw new ShapeError(`lengthsFromPadded: expected [batch, time], got [${padded.shape}]`);
  const [B, T] = padded.shape;
  const v = padded.dataSync();
  return Array.from({ length: B }, (_, b) => {
    let len = T;
    while (len > 0 && v[b * T + len - 1] === padValue) len--;
    return len;
  });
}

/** bool [B, T]: true for the first lengths[b] steps of row b. */
export function maskFromLengths(lengths: readonly number[], maxlen?: number): Tensor {
  const T = maxlen ?? Math.max(0, ...lengths);
  const m = new Uint8Array(lengths.length * T);
  lengths.forEach((len, b) => m.fill(1, b * T, b * T + Math.min(len, T)));
  return tensor(m, { shape: [lengths.length, T], dtype: 'bool' });
}
