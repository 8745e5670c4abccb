import { grad } from '@recur/autograd';
import {
  arange,
  mul,
  numTensors,
  reshape,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  ValueError,
} from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { bucketBatches, collate, lmWindows, trainValidationSplit } from './batching';
import { PackedSequence, packPaddedSequence, packSequence, padPackedSequence } from './packed-sequence';
import { lengthsFromPadded, maskFromLengths, maskFromPadded, padSequences } from './pad-sequences';

describe('padSequences (Keras semantics)', () => {
  const seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9]];

  it('pads and truncates at the front by default', () => {
    expect(padSequences(seqs, { maxlen: 4 }).arraySync()).toEqual([
      [0, 1, 2, 3],
      [0, 0, 0, 4],
      [6, 7, 8, 9],
    ]);
  });

  it('post padding and truncation, a custom value, the longest length by default', () => {
    expect(padSequences(seqs, { maxlen: 4, padding: 'post', truncating: 'post', value: -1 }).arraySync()).toEqual([
      [1, 2, 3, -1],
      [4, -1, -1, -1],
      [5, 6, 7, 8],
    ]);
    expect(padSequences(seqs).shape).toEqual([3, 5]);
    expect(() => padSequences(seqs, { padding: 'middle' as never })).toThrow(
      /padding must be 'pre' or 'post', got 'middle'/,
    );
  });

  it('masks and lengths from padded batches', () => {
    const x = padSequences(seqs, { padding: 'post' });
    expect(lengthsFromPadded(x)).toEqual([3, 1, 5]);
    expect(maskFromPadded(x).arraySync()).toEqual(maskFromLengths([3, 1, 5]).arraySync());
  });
});

describe('PackedSequence (PyTorch semantics)', () => {
  // x[b, t] = 10 b + t, as [B, T, 1]
  const x = reshape(tensor(Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4))), [3, 4, 1]);

  it('packs time-major over sequences sorted by length, stable for ties', () => {
    const p = packPaddedSequence(x, [2, 4, 2], { batchFirst: true, enforceSorted: false });
    expect(p.batchSizes).toEqual([3, 3, 1, 1]);
    expect(p.sortedIndices).toEqual([1, 0, 2]);
    expect(p.unsortedIndices).toEqual([1, 0, 2]);
    expect(Array.from(p.data.dataSync())).toEqual([10, 0, 20, 11, 1, 21, 12, 13]);
    expect(p.lengths).toEqual([2, 4, 2]);
  });

  it('round-trips through padPackedSequence, time-major or batch-first, with paddingValue and totalLength', () => {
    const p = packPaddedSequence(x, [2, 4, 2], { batchFirst: true, enforceSorted: false });
    const { output, lengths } = padPackedSequence(p, { batchFirst: true, paddingValue: -1, totalLength: 5 });
    expect(lengths).toEqual([2, 4, 2]);
    expect(reshape(output, [3, 5]).arraySync()).toEqual([
      [0, 1, -1, -1, -1],
      [10, 11, 12, 13, -1],
      [20, 21, -1, -1, -1],
    ]);
    const tm = padPackedSequence(p).output;
    expect(tm.shape).toEqual([4, 3, 1]);
    expect(() => padPackedSequence(p, { totalLength: 3 })).toThrow(
      /totalLength 3 is shorter than the longest sequence \(4\)/,
    );
  });

  it('refuses zero or negative lengths, lengths beyond the padded length, and unsorted lengths when enforced', () => {
    expect(() => packPaddedSequence(x, [2, 0, 1], { batchFirst: true, enforceSorted: false })).toThrow(
      /lengths\[1\] = 0/,
    );
    expect(() => packPaddedSequence(x, [2, -1, 1], { batchFirst: true, enforceSorted: false })).toThrow(
      /lengths\[1\] = -1/,
    );
    expect(() => packPaddedSequence(x, [5, 1, 1], { batchFirst: true })).toThrow(
      /lengths\[0\] = 5 is longer than the padded length 4/,
    );
    expect(() => packPaddedSequence(x, [2, 4, 1], { batchFirst: true })).toThrow(
      /sorted longest first with enforceSorted/,
    );
    expect(() => packPaddedSequence(x, [2, 4], { batchFirst: true })).toThrow(/2 lengths for a batch of 3/);
  });

  it('packSequence packs a list; gradients flow through pack and unpack', () => {
    const p = packSequence([tensor([[1], [2], [3]]), tensor([[4]])]);
    expect(p.batchSizes).toEqual([2, 1, 1]);
    expect(p).toBeInstanceOf(PackedSequence);
    const weights = reshape(arange(1, 13, 1, 'float32'), [3, 4, 1]);
    const dx = grad((v: Tensor) => {
      const packed = packPaddedSequence(v, [2, 4, 2], { batchFirst: true, enforceSorted: false });
      const { output } = padPackedSequence(packed, { batchFirst: true });
      return sum(mul(output, weights));
    })(x);
    // Real steps get their weight back, padding steps get nothing.
    expect(reshape(dx, [3, 4]).arraySync()).toEqual([
      [1, 2, 0, 0],
      [5, 6, 7, 8],
      [9, 10, 0, 0],
    ]);
  });
});

describe('batching', () => {
  const lengths = Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 60));

  it('bucketBatches covers every item once, keeps similar lengths together, and is seeded', () => {
    const batches = [...bucketBatches(lengths, { batchSize: 16, seed: 1 })];
    expect(batches.flat().sort((a, b) => a - b)).toEqual([...lengths.keys()]);
    const spread = (b: number[]) => Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i]));
    const avgSpread = batches.reduce((s, b) => s + spread(b), 0) / batches.length;
    expect(avgSpread).toBeLessThan(10);
    expect([...bucketBatches(lengths, { batchSize: 16, seed: 1 })]).toEqual(batches);
    expect([...bucketBatches(lengths, { batchSize: 16, seed: 2 })]).not.toEqual(batches);
    expect([...bucketBatches(lengths, { batchSize: 16, seed: 1, dropLast: true })].every((b) => b.length === 16)).toBe(
      true,
    );
  });

  it('collate pads at the end and returns lengths', () => {
    const { tokens, lengths: lens } = collate([[5, 6, 7], [8]]);
    expect(tokens.arraySync()).toEqual([
      [5, 6, 7],
      [8, 0, 0],
    ]);
    expect(lens.arraySync()).toEqual([3, 1]);
  });

  it('lmWindows: B parallel streams cut into T-long windows, each row continuing the previous window', () => {
    const stream = Array.from({ length: 41 }, (_, i) => i);
    const windows = [...lmWindows(stream, { batchSize: 2, seqLen: 8 })];
    expect(windows.map((w) => w.x.shape)).toEqual([
      [2, 8],
      [2, 8],
      [2, 4],
    ]);
    expect(windows[0].x.arraySync()).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [20, 21, 22, 23, 24, 25, 26, 27],
    ]);
    expect(windows[0].y.arraySync()).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [21, 22, 23, 24, 25, 26, 27, 28],
    ]);
    expect(windows[1].x.arraySync()).toEqual([
      [8, 9, 10, 11, 12, 13, 14, 15],
      [28, 29, 30, 31, 32, 33, 34, 35],
    ]);
    expect(windows.map((w) => w.index)).toEqual([0, 1, 2]);
  });

  it('trainValidationSplit is seeded and disjoint', () => {
    const a = trainValidationSplit(100, { validationFraction: 0.2, seed: 3 });
    expect(a.validation).toHaveLength(20);
    expect(new Set([...a.train, ...a.validation]).size).toBe(100);
    expect(trainValidationSplit(100, { validationFraction: 0.2, seed: 3 })).toEqual(a);
  });
});

describe('memory', () => {
  it('packing and unpacking leave no temporaries', () => {
    const x = tensor([
      [[1], [2]],
      [[3], [4]],
    ]);
    const before = numTensors();
    tidy(() => {
      padPackedSequence(packPaddedSequence(x, [2, 1], { batchFirst: true }), { batchFirst: true });
    });
    expect(numTensors()).toBe(before);
  });
});

describe('bad arguments are errors, never endless loops', () => {
  it('lmWindows with seqLen or batchSize 0 (or not an integer) is a ValueError naming the option', () => {
    const stream = Array.from({ length: 50 }, (_, i) => i % 7);
    for (const [options, message] of [
      [{ batchSize: 2, seqLen: 0 }, /lmWindows: seqLen must be a positive integer, got 0/],
      [{ batchSize: 0, seqLen: 5 }, /lmWindows: batchSize must be a positive integer, got 0/],
      [{ batchSize: 2, seqLen: 2.5 }, /seqLen must be a positive integer, got 2.5/],
      [{ batchSize: 2, seqLen: Number.NaN }, /seqLen must be a positive integer, got NaN/],
    ] as const) {
      expect(() => lmWindows(stream, options).next()).toThrow(ValueError);
      expect(() => lmWindows(stream, options).next()).toThrow(message);
    }
    expect(() => bucketBatches([1, 2, 3], { batchSize: 2, poolBatches: 0 }).next()).toThrow(
      /poolBatches must be a positive integer, got 0/,
    );
  });

  it('packPaddedSequence on an empty batch is a ShapeError naming the input shape', () => {
    const empty = tensor([], { shape: [0, 3, 2] });
    expect(() => packPaddedSequence(empty, [], { batchFirst: true })).toThrow(ShapeError);
    expect(() => packPaddedSequence(empty, [], { batchFirst: true })).toThrow(
      /packPaddedSequence: the batch is empty \(input \[0, 3, 2\], batchFirst\)/,
    );
    empty.dispose();
  });
});
