import {
  concat,
  formatShape,
  gather,
  reshape,
  ShapeError,
  swapAxes,
  type Tensor,
  tensor,
  tidy,
  ValueError,
  zeros,
} from '@recur/tensor';

/**
 * PyTorch's PackedSequence: the real steps of a batch of variable-length sequences, time-major.
 * `data` holds, for t = 0, 1, ..., the step-t entries of the sequences still running at t, in
 * `sortedIndices` order (longest first); `batchSizes[t]` says how many that is.
 */
export class PackedSequence {
  constructor(
    /** [Σ lengths, ...features] */
    readonly data: Tensor,
    /** How many sequences are still running at each time step (non-increasing). */
    readonly batchSizes: readonly number[],
    /** Batch positions, longest sequence first (stable for equal lengths). */
    readonly sortedIndices: readonly number[],
    /** The inverse permutation of sortedIndices. */
    readonly unsortedIndices: readonly number[],
  ) {}

  /** Lengths in the original batch order. */
  get lengths(): number[] {
    const B = this.sortedIndices.length;
    const sortedLengths = new Array<number>(B).fill(0);
    for (const n of this.batchSizes) for (let i = 0; i < n; i++) sortedLengths[i]++;
    return this.unsortedIndices.map((i) => sortedLengths[i]);
  }

  /** The number of sequences. */
  get batchSize(): number {
    return this.sortedIndices.length;
  }

  /** The same packing with other data (a layer's output over the same steps). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  /** Frees the data tensor. */
  dispose(): void {
    this.data.dispose();
  }
}

/** True for a PackedSequence (checked by shape, so copies of the class from other bundles count too). */
export function isPackedSequence(x: unknown): x is PackedSequence {
  const p = x as PackedSequence;
  return !!p && typeof p === 'object' && Array.isArray(p.batchSizes) && Array.isArray(p.sortedIndices) && !!p.data;
}

function checkLengths(lengths: readonly number[], T: number | null, enforceSorted: boolean): void {
  lengths.forEach((len, i) => {
    if (!Number.isInteger(len) || len <= 0) {
      throw new ValueError(`packPaddedSequence: lengths[${i}] = ${len}; every length must be a positive integer`);
    }
    if (T !== null && len > T) {
      throw new ValueError(`packPaddedSequence: lengths[${i}] = ${len} is longer than the padded length ${T}`);
    }
    if (enforceSorted && i > 0 && len > lengths[i - 1]) {
      throw new ShapeError(
        `packPaddedSequence: lengths must be sorted longest first with enforceSorted (lengths[${i - 1}] = ${lengths[i - 1]} < lengths[${i}] = ${len}); pass enforceSorted: false`,
      );
    }
  });
}

function layoutOf(lengths: readonly number[]) {
  const B = lengths.length;
  const sortedIndices = [...Array(B).keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
  const unsortedIndices = new Array<number>(B);
  sortedIndices.forEach((b, i) => {
    unsortedIndices[b] = i;
  });
  const maxLen = Math.max(...lengths);
  const batchSizes = Array.from({ length: maxLen }, (_, t) => lengths.filter((l) => l > t).length);
  return { sortedIndices, unsortedIndices, batchSizes, maxLen };
}

function toLengths(lengths: readonly number[] | Tensor): number[] {
  return Array.isArray(lengths) ? [...lengths] : Array.from((lengths as Tensor).dataSync());
}

/**
 * Packs a padded batch (differentiably: a gather). `x` is [B, T, *] with batchFirst, else [T, B, *].
 *
 * @example
 * ```ts
 * import { packPaddedSequence, padPackedSequence } from '@recur/data';
 * import { LSTM } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * const x = randomNormal([3, 4, 2]); // 3 sequences of lengths 3, 1 and 4, padded to 4 steps
 * const packed = packPaddedSequence(x, [3, 1, 4], { batchFirst: true, enforceSorted: false });
 * const lstm = new LSTM(2, 5, { batchFirst: true });
 * const { output, hN } = lstm.forward(packed); // hN: each sequence's state after its own last step
 * const { output: padded, lengths } = padPackedSequence(output, { batchFirst: true });
 * console.log(padded.shape, lengths, hN.shape); // [3, 4, 5] [3, 1, 4] [1, 3, 5]
 * ```
 */
export function packPaddedSequence(
  x: Tensor,
  lengths: readonly number[] | Tensor,
  options: { batchFirst?: boolean; enforceSorted?: boolean } = {},
): PackedSequence {
  const batchFirst = options.batchFirst ?? false;
  const enforceSorted = options.enforceSorted ?? true;
  if (x.rank < 2) throw new ShapeError(`packPaddedSequence: input must have rank ≥ 2, got ${formatShape(x.shape)}`);
  const lens = toLengths(lengths);
  const [B, T] = batchFirst ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  if (B === 0)
    throw new ShapeError(
      `packPaddedSequence: the batch is empty (input ${formatShape(x.shape)}${batchFirst ? ', batchFirst' : ''}); pack at least one sequence`,
    );
  if (lens.length !== B)
    throw new ShapeError(
      `packPaddedSequence: ${lens.length} lengths for a batch of ${B} (input ${formatShape(x.shape)})`,
    );
  checkLengths(lens, T, enforceSorted);
  const { sortedIndices, unsortedIndices, batchSizes } = layoutOf(lens);
  const rows: number[] = [];
  batchSizes.forEach((n, t) => {
    for (let i = 0; i < n; i++) rows.push(sortedIndices[i] * T + t);
  });
  const data = tidy(() => {
    const bt = batchFirst ? x : swapAxes(x, 0, 1);
    const flat = reshape(bt, [B * T, ...x.shape.slice(2)]);
    return gather(flat, tensor(rows, { dtype: 'int32' }), 0);
  });
  return new PackedSequence(data, batchSizes, sortedIndices, unsortedIndices);
}

/**
 * Unpacks to a padded batch (differentiably) and the lengths. Padding positions hold
 * `paddingValue`; `totalLength` pads to a fixed T (at least the longest sequence).
 */
export function padPackedSequence(
  packed: PackedSequence,
  options: { batchFirst?: boolean; paddingValue?: number; totalLength?: number } = {},
): {
  /** [B, T, ...] (or [T, B, ...]) padded with `paddingValue`. */
  output: Tensor;
  /** Each sequence's length, in batch order. */
  lengths: number[];
} {
  const lengths = packed.lengths;
  const maxLen = packed.batchSizes.length;
  const T = options.totalLength ?? maxLen;
  if (T < maxLen) {
    throw new ValueError(`padPackedSequence: totalLength ${T} is shorter than the longest sequence (${maxLen})`);
  }
  const B = packed.batchSize;
  const feature = packed.data.shape.slice(1);
  // Position of each (batch row, t) in data; padding reads an extra row of paddingValue at the end.
  const offsets: number[] = [];
  packed.batchSizes.reduce((o, n) => {
    offsets.push(o);
    return o + n;
  }, 0);
  const padRow = packed.data.shape[0];
  const index: number[] = [];
  for (let b = 0; b < B; b++) {
    const i = packed.unsortedIndices[b];
    for (let t = 0; t < T; t++) index.push(t < lengths[b] ? offsets[t] + i : padRow);
  }
  const output = tidy(() => {
    const pad = zeros([1, ...feature], packed.data.dtype);
    const padValue = options.paddingValue ?? 0;
    const extra =
      padValue === 0
        ? pad
        : reshape(tensor(new Array(pad.size).fill(padValue), { dtype: packed.data.dtype }), pad.shape);
    const rows = gather(concat([packed.data, extra], 0), tensor(index, { dtype: 'int32' }), 0);
    const padded = reshape(rows, [B, T, ...feature]);
    return options.batchFirst ? padded : swapAxes(padded, 0, 1);
  });
  return { output, lengths };
}

/** Packs a list of [L_i, *] tensors (PyTorch's pack_sequence). */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  if (sequences.length === 0) throw new ValueError('packSequence: needs at least one sequence');
  const lengths = sequences.map((s) => s.shape[0]);
  const feature = sequences[0].shape.slice(1);
  sequences.forEach((s, i) => {
    if (s.shape.slice(1).join() !== feature.join()) {
      throw new ShapeError(
        `packSequence: sequence ${i} is ${formatShape(s.shape)}, expected [*, ${feature.join(', ')}]`,
      );
    }
  });
  checkLengths(lengths, null, options.enforceSorted ?? true);
  const T = Math.max(...lengths);
  const padded = tidy(() =>
    concat(
      sequences.map((s) => {
        const rest = T - s.shape[0];
        const body = rest === 0 ? s : concat([s, zeros([rest, ...feature], s.dtype)], 0);
        return reshape(body, [1, T, ...feature]);
      }),
      0,
    ),
  );
  try {
    return packPaddedSequence(padded, lengths, { batchFirst: true, enforceSorted: options.enforceSorted ?? true });
  } finally {
    padded.dispose();
  }
}
