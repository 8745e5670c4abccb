import { ConfigError, Rng, ShapeError, type Tensor, tensor, ValueError } from '@recur/tensor';

/** A series: one number per step, or one row of features per step. */
export type SeriesInput = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** How `timeseriesDataset` cuts windows (Keras' timeseries_dataset_from_array). */
export interface TimeseriesOptions {
  /** Steps in each window. */
  sequenceLength: number;
  /** Steps between the starts of consecutive windows (default 1). */
  sequenceStride?: number;
  /** Steps between the samples inside a window (default 1). */
  samplingRate?: number;
  /** Windows per batch (default 128); null yields one window at a time, without a batch axis. */
  batchSize?: number | null;
  /** Shuffle the windows' order once, with `seed` (default false). */
  shuffle?: boolean;
  /** The shuffle's seed. */
  seed?: number;
  /** The part of the series windows are cut from: [startIndex, endIndex). */
  startIndex?: number;
  /** The end of that part (exclusive; default the series' length). */
  endIndex?: number;
}

/** One batch of windows, with their targets. */
export interface TimeseriesBatch {
  /** [B, T, F] windows of rows, [B, T] of numbers (no batch axis when batchSize is null). */
  x: Tensor;
  /** [B] or [B, F'] targets of those windows, when targets were given. */
  y?: Tensor;
}

/** Rows of a series as arrays of features, checked to be rectangular and finite. */
function rows(what: string, s: SeriesInput): { values: Float32Array; width: number; scalar: boolean; length: number } {
  const length = s.length;
  if (length === 0) return { values: new Float32Array(0), width: 1, scalar: true, length };
  const first = s[0] as unknown;
  const scalar = typeof first === 'number';
  const width = scalar ? 1 : (first as ArrayLike<number>).length;
  const values = new Float32Array(length * width);
  for (let i = 0; i < length; i++) {
    const r = s[i] as unknown;
    if (scalar) {
      if (typeof r !== 'number') throw new ShapeError(`${what}: step ${i} is not a number like step 0`);
      values[i] = r;
    } else {
      const row = r as ArrayLike<number>;
      if (typeof row !== 'object' || row.length !== width)
        throw new ShapeError(`${what}: step ${i} has ${row?.length} features, step 0 has ${width}`);
      for (let j = 0; j < width; j++) values[i * width + j] = row[j];
    }
  }
  return { values, width, scalar, length };
}

const positiveInt = (name: string, v: number) => {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new ValueError(`timeseriesDataset: ${name} must be a positive integer, got ${v}`);
};

/**
 * Sliding windows over a series for sequence models, as Keras' `timeseries_dataset_from_array`:
 * window k holds steps `start_k, start_k + samplingRate, …` (`sequenceLength` of them), starts
 * are `startIndex + k·sequenceStride`, and its target is `targets[start_k]` — pass the series
 * shifted by the horizon to predict ahead. Iterating yields batches of tensors made on demand
 * (the caller disposes them); the order is the same on every pass (shuffled once, with `seed`).
 *
 * @example
 * ```ts
 * import { timeseriesDataset } from '@recur/data';
 * // Windows of 10 steps (one feature each) and, as target, the step after each window.
 * const series = Array.from({ length: 100 }, (_, t) => [Math.sin(t / 5)]);
 * const ds = timeseriesDataset(series.slice(0, -10), series.slice(10).map(([v]) => v), {
 *   sequenceLength: 10,
 *   batchSize: 16,
 * });
 * console.log(ds.numSequences, ds.length); // 81 6
 * // five batches of 16, then one of 1
 * for (const { x, y } of ds) {
 *   console.log(x.shape, y?.shape); // [16, 10, 1] [16]
 *   x.dispose();
 *   y?.dispose();
 * }
 * ```
 */
export class TimeseriesDataset implements Iterable<TimeseriesBatch> {
  /** Start step of every window, in the order they are yielded. */
  readonly starts: number[];
  /** Steps in each window. */
  readonly sequenceLength: number;
  /** Steps between samples inside a window. */
  readonly samplingRate: number;
  /** Windows per batch (null: one window at a time). */
  readonly batchSize: number | null;
  private readonly data: ReturnType<typeof rows>;
  private readonly targets: ReturnType<typeof rows> | null;

  constructor(data: SeriesInput, targets: SeriesInput | null, options: TimeseriesOptions) {
    const { sequenceLength, sequenceStride = 1, samplingRate = 1 } = options;
    positiveInt('sequenceLength', sequenceLength);
    positiveInt('sequenceStride', sequenceStride);
    positiveInt('samplingRate', samplingRate);
    const batchSize = options.batchSize === undefined ? 128 : options.batchSize;
    if (batchSize !== null) positiveInt('batchSize', batchSize);
    this.data = rows('timeseriesDataset data', data);
    this.targets = targets ? rows('timeseriesDataset targets', targets) : null;
    const n = this.data.length;
    const startIndex = options.startIndex ?? 0;
    const endIndex = options.endIndex ?? n;
    if (!Number.isSafeInteger(startIndex) || startIndex < 0 || startIndex >= Math.max(n, 1))
      throw new ValueError(`timeseriesDataset: startIndex must be in [0, ${n}), got ${startIndex}`);
    if (!Number.isSafeInteger(endIndex) || endIndex <= startIndex || endIndex > n)
      throw new ValueError(`timeseriesDataset: endIndex must be in (${startIndex}, ${n}], got ${endIndex}`);
    let count = endIndex - startIndex - sequenceLength * samplingRate + 1;
    if (this.targets) count = Math.min(count, this.targets.length - startIndex);
    if (count <= 0)
      throw new ConfigError(
        `timeseriesDataset: ${endIndex - startIndex} steps hold no window of ${sequenceLength} steps sampled every ${samplingRate}`,
      );
    this.starts = [];
    for (let p = 0; p < count; p += sequenceStride) this.starts.push(startIndex + p);
    if (options.shuffle) {
      const rng = new Rng(options.seed ?? 0);
      for (let i = this.starts.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [this.starts[i], this.starts[j]] = [this.starts[j], this.starts[i]];
      }
    }
    this.sequenceLength = sequenceLength;
    this.samplingRate = samplingRate;
    this.batchSize = batchSize;
  }

  /** Windows in all. */
  get numSequences(): number {
    return this.starts.length;
  }

  /** Batches per pass. */
  get length(): number {
    return this.batchSize === null ? this.starts.length : Math.ceil(this.starts.length / this.batchSize);
  }

  /** The batches, in order (shuffled once when asked). */
  *[Symbol.iterator](): Iterator<TimeseriesBatch> {
    const per = this.batchSize ?? 1;
    const { values, width } = this.data;
    const T = this.sequenceLength;
    for (let b = 0; b < this.starts.length; b += per) {
      const starts = this.starts.slice(b, b + per);
      const x = new Float32Array(starts.length * T * width);
      starts.forEach((s, k) => {
        for (let t = 0; t < T; t++) {
          const from = (s + t * this.samplingRate) * width;
          x.set(values.subarray(from, from + width), (k * T + t) * width);
        }
      });
      // As Keras: a series of numbers gives [B, T]; rows of features give [B, T, F].
      const step = this.data.scalar ? [T] : [T, width];
      const xShape = this.batchSize === null ? step : [starts.length, ...step];
      let y: Tensor | undefined;
      if (this.targets) {
        const tw = this.targets.width;
        const yv = new Float32Array(starts.length * tw);
        starts.forEach((s, k) => yv.set(this.targets!.values.subarray(s * tw, s * tw + tw), k * tw));
        const lead = this.batchSize === null ? [] : [starts.length];
        y = tensor(yv, { shape: this.targets.scalar ? lead : [...lead, tw] });
      }
      yield { x: tensor(x, { shape: xShape }), y };
    }
  }
}

/** `new TimeseriesDataset(data, targets, options)`: Keras' `timeseries_dataset_from_array`. */
export function timeseriesDataset(
  data: SeriesInput,
  targets: SeriesInput | null,
  options: TimeseriesOptions,
): TimeseriesDataset {
  return new TimeseriesDataset(data, targets, options);
}
