import { Rng, type Tensor, tensor, ValueError } from '@recur/tensor';

/** Fisher–Yates shuffle of `items` in place with a seeded generator (the same seed, the same order). */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** How `bucketBatches` groups sequences. */
export interface BucketOptions {
  /** Sequences per batch. */
  batchSize: number;
  /** Shuffle which items share a pool and the order of batches (default true). */
  shuffle?: boolean;
  /** Seeds the shuffle of the buckets (a number or a generator). */
  seed?: number | Rng;
  /** Items sorted together by length: batchSize × poolBatches (default 50). */
  poolBatches?: number;
  /** Leave out the last, smaller batch. */
  dropLast?: boolean;
}

/**
 * Batches of indices whose sequences have similar lengths, so little of each padded batch is
 * padding: items are shuffled, cut into pools, each pool sorted by length and cut into batches,
 * and the batches shuffled. Seeded: the same seed gives the same batches.
 */
export function* bucketBatches(lengths: readonly number[], options: BucketOptions): Generator<number[]> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ValueError(`bucketBatches: batchSize must be a positive integer, got ${batchSize}`);
  const rng = options.seed instanceof Rng ? options.seed : new Rng(options.seed ?? 0);
  const shuffle = options.shuffle ?? true;
  const order = [...lengths.keys()];
  if (shuffle) shuffleInPlace(order, rng);
  const poolBatches = options.poolBatches ?? 50;
  if (!Number.isInteger(poolBatches) || poolBatches <= 0)
    throw new ValueError(`bucketBatches: poolBatches must be a positive integer, got ${poolBatches}`);
  const poolSize = batchSize * poolBatches;
  const batches: number[][] = [];
  for (let p = 0; p < order.length; p += poolSize) {
    const pool = order.slice(p, p + poolSize).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < pool.length; i += batchSize) batches.push(pool.slice(i, i + batchSize));
  }
  const kept = options.dropLast ? batches.filter((b) => b.length === batchSize) : batches;
  if (shuffle) shuffleInPlace(kept, rng);
  yield* kept;
}

/** A padded batch: tokens [B, T] (post-padded) and each sequence's length. */
export interface PaddedBatch {
  /** int32 [B, T] token ids, padded. */
  tokens: Tensor;
  /** int32 [B]: each sequence's real length. */
  lengths: Tensor;
}

/** Pads a list of id sequences at the end to the longest one and returns the lengths (int32). */
export function collate(
  sequences: readonly (readonly number[])[],
  options: { padValue?: number; maxlen?: number } = {},
): PaddedBatch {
  const pad = options.padValue ?? 0;
  const cut = sequences.map((s) => (options.maxlen !== undefined ? s.slice(0, options.maxlen) : s));
  const T = Math.max(1, ...cut.map((s) => s.length));
  const out = new Int32Array(cut.length * T).fill(pad);
  cut.forEach((s, b) => out.set(s, b * T));
  return {
    tokens: tensor(out, { shape: [cut.length, T], dtype: 'int32' }),
    lengths: tensor(
      cut.map((s) => s.length),
      { dtype: 'int32' },
    ),
  };
}

/** One window of `lmWindows`: inputs, next-token targets and its position. */
export interface LMWindow {
  /** [B, T] inputs */
  x: Tensor;
  /** [B, T] targets: the next token of each input */
  y: Tensor;
  /** Position of this window in its streams (0 for the first: state starts fresh). */
  index: number;
}

/**
 * Language-model windows for truncated BPTT: the token stream is split into `batchSize`
 * contiguous streams side by side, and cut into `seqLen`-long windows. Row b of window k+1
 * continues row b of window k, so a model can carry its state from one window to the next.
 * Nothing is copied up front; each window is made when it is asked for.
 */
export function* lmWindows(
  stream: ArrayLike<number>,
  options: { batchSize: number; seqLen: number },
): Generator<LMWindow> {
  const { batchSize: B, seqLen: T } = options;
  for (const [key, v] of [
    ['batchSize', B],
    ['seqLen', T],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new ValueError(`lmWindows: ${key} must be a positive integer, got ${v}`);
  }
  const perStream = Math.floor((stream.length - 1) / B);
  if (perStream < 1) throw new ValueError(`lmWindows: ${stream.length} tokens are too few for ${B} streams`);
  for (let start = 0, k = 0; start < perStream; start += T, k++) {
    const len = Math.min(T, perStream - start);
    const x = new Int32Array(B * len);
    const y = new Int32Array(B * len);
    for (let b = 0; b < B; b++) {
      const base = b * perStream + start;
      for (let t = 0; t < len; t++) {
        x[b * len + t] = stream[base + t];
        y[b * len + t] = stream[base + t + 1];
      }
    }
    yield {
      x: tensor(x, { shape: [B, len], dtype: 'int32' }),
      y: tensor(y, { shape: [B, len], dtype: 'int32' }),
      index: k,
    };
  }
}

/** A seeded split of n items into train and validation indices. */
export function trainValidationSplit(
  n: number,
  options: { validationFraction: number; seed?: number; shuffle?: boolean },
): {
  /** Indices to train on. */
  train: number[];
  /** Indices held out. */
  validation: number[];
} {
  const f = options.validationFraction;
  if (!(f >= 0 && f < 1)) throw new ValueError(`trainValidationSplit: validationFraction must be in [0, 1), got ${f}`);
  const order = [...Array(n).keys()];
  if (options.shuffle ?? true) shuffleInPlace(order, new Rng(options.seed ?? 0));
  const nVal = Math.round(n * f);
  return { validation: order.slice(0, nVal), train: order.slice(nVal) };
}
