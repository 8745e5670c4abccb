import { FormatError, ShapeError, ValueError } from '@recur/tensor';

/** A fitted Normalizer as JSON, kept beside a saved model. */
export interface NormalizerJSON {
  /** Always 'recur-normalizer'. */
  format: 'recur-normalizer';
  /** Each feature's mean. */
  mean: number[];
  /** Each feature's standard deviation (population). */
  std: number[];
}

/**
 * Per-feature standardisation, (x − mean) / std, as Keras' `Normalization` layer after `adapt`:
 * the mean and the (population) variance are fitted on training data only, a zero spread
 * divides by 1e-7 instead. `toJSON` keeps the statistics with a saved model so predictions
 * are normalised (and inverted) exactly as in training.
 *
 * @example
 * ```ts
 * import { Normalizer } from '@recur/data';
 * const train = [[1, 10], [2, 20], [3, 30]];
 * const norm = Normalizer.fit(train);
 * console.log(norm.mean, norm.std.map((s) => s.toFixed(3))); // [2, 20] ['0.816', '8.165']
 * console.log(norm.transform([[2, 30]])); // [[0, 1.2247…]]
 * console.log(norm.invert([[0, 1.2247448713915890]])[0][1].toFixed(3)); // '30.000'
 * ```
 */
export class Normalizer {
  private constructor(
    /** Each feature's mean. */
    readonly mean: number[],
    /** Each feature's standard deviation (population). */
    readonly std: number[],
  ) {}

  /** Fits on rows of features (or on a plain series, one feature). */
  static fit(data: ArrayLike<number> | ArrayLike<ArrayLike<number>>): Normalizer {
    const rows = asRows('Normalizer.fit', data);
    if (rows.length === 0) throw new ValueError('Normalizer.fit: no data to fit on');
    const width = rows[0].length;
    const mean = new Array(width).fill(0);
    const m2 = new Array(width).fill(0);
    // Welford: stable for long series of large values (births in the thousands, say).
    rows.forEach((r, i) => {
      for (let j = 0; j < width; j++) {
        const d = r[j] - mean[j];
        mean[j] += d / (i + 1);
        m2[j] += d * (r[j] - mean[j]);
      }
    });
    const std = m2.map((v) => Math.max(Math.sqrt(v / rows.length), 1e-7));
    return new Normalizer(mean, std);
  }

  /** A normalizer from `toJSON`'s output (a FormatError for anything else). */
  static fromJSON(json: unknown): Normalizer {
    const j = json as NormalizerJSON;
    if (
      j?.format !== 'recur-normalizer' ||
      !Array.isArray(j.mean) ||
      !Array.isArray(j.std) ||
      j.mean.length !== j.std.length ||
      ![...j.mean, ...j.std].every(Number.isFinite) ||
      !j.std.every((s) => s > 0)
    )
      throw new FormatError(`not a recur normalizer: ${JSON.stringify(json)?.slice(0, 80)}`);
    return new Normalizer([...j.mean], [...j.std]);
  }

  /** The statistics as JSON. */
  toJSON(): NormalizerJSON {
    return { format: 'recur-normalizer', mean: [...this.mean], std: [...this.std] };
  }

  /** (x − mean) / std, row by row. */
  transform(data: ArrayLike<ArrayLike<number>>): number[][] {
    return asRows('Normalizer.transform', data, this.mean.length).map((r) =>
      r.map((v, j) => (v - this.mean[j]) / this.std[j]),
    );
  }

  /** x · std + mean: back to the data's units. */
  invert(data: ArrayLike<ArrayLike<number>>): number[][] {
    return asRows('Normalizer.invert', data, this.mean.length).map((r) =>
      r.map((v, j) => v * this.std[j] + this.mean[j]),
    );
  }

  /** One feature's transform (a series of numbers); `feature` picks which statistics. */
  transformSeries(series: ArrayLike<number>, feature = 0): number[] {
    return Array.from(series, (v) => (v - this.mean[feature]) / this.std[feature]);
  }

  /** Back to the original scale: one feature's values, (v · std) + mean. */
  invertSeries(series: ArrayLike<number>, feature = 0): number[] {
    return Array.from(series, (v) => v * this.std[feature] + this.mean[feature]);
  }
}

function asRows(what: string, data: ArrayLike<number> | ArrayLike<ArrayLike<number>>, width?: number): number[][] {
  const rows = Array.from(data as ArrayLike<unknown>, (r) =>
    typeof r === 'number' ? [r] : Array.from(r as ArrayLike<number>),
  );
  const w = width ?? rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r.length !== w) throw new ShapeError(`${what}: row ${i} has ${r.length} features, expected ${w}`);
  });
  return rows;
}
