import { ConfigError, ValueError } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Normalizer } from './normalizer';
import { timeseriesDataset } from './timeseries';

const collect = (
  ds: Iterable<{
    x: { dataSync(): ArrayLike<number>; shape: readonly number[]; dispose(): void };
    y?: { dataSync(): ArrayLike<number>; shape: readonly number[]; dispose(): void };
  }>,
) => {
  const xs: number[][] = [];
  const ys: number[] = [];
  const shapes: string[] = [];
  for (const { x, y } of ds) {
    shapes.push(`${x.shape}|${y?.shape ?? ''}`);
    const T = x.shape[1];
    const v = Array.from(x.dataSync());
    for (let i = 0; i < x.shape[0]; i++) xs.push(v.slice(i * T, (i + 1) * T));
    if (y) ys.push(...Array.from(y.dataSync()));
    x.dispose();
    y?.dispose();
  }
  return { xs, ys, shapes };
};

describe('timeseriesDataset (Keras timeseries_dataset_from_array)', () => {
  it("Keras' example 1: indices 0..98, sequenceLength 10, samplingRate 2, sequenceStride 3", () => {
    const steps = Array.from({ length: 99 }, (_, i) => i);
    const { xs } = collect(
      timeseriesDataset(steps, null, { sequenceLength: 10, samplingRate: 2, sequenceStride: 3, batchSize: 7 }),
    );
    expect(xs[0]).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(xs[1]).toEqual([3, 5, 7, 9, 11, 13, 15, 17, 19, 21]);
    expect(xs[2]).toEqual([6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    expect(xs.at(-1)).toEqual([78, 80, 82, 84, 86, 88, 90, 92, 94, 96]);
    expect(xs).toHaveLength(27);
  });

  it("Keras' example 2: the past 10 steps predict the next one", () => {
    const data = Array.from({ length: 20 }, (_, i) => i);
    const ds = timeseriesDataset(data.slice(0, 10), data.slice(10), { sequenceLength: 10 });
    const { xs, ys, shapes } = collect(ds);
    expect(xs).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(ys).toEqual([10]);
    expect(shapes).toEqual(['1,10|1']);
  });

  it("Keras' example 3: non-overlapping windows of X with the matching windows of Y as targets", () => {
    const X = Array.from({ length: 100 }, (_, i) => i);
    const Y = X.map((v) => v * 2);
    const input = collect(timeseriesDataset(X, null, { sequenceLength: 20, sequenceStride: 20, batchSize: 32 }));
    const target = collect(timeseriesDataset(Y, null, { sequenceLength: 20, sequenceStride: 20, batchSize: 32 }));
    expect(input.xs).toHaveLength(5);
    expect(input.xs[4][0]).toBe(80);
    expect(target.xs[4][19]).toBe(198);
  });

  it('rows of features give [B, T, F]; targets of rows give [B, F]; shuffling is seeded and fixed across passes', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i, -i]);
    const ds = timeseriesDataset(rows, rows, { sequenceLength: 4, batchSize: 8, shuffle: true, seed: 3 });
    const first = ds[Symbol.iterator]().next().value;
    expect(first?.x.shape).toEqual([8, 4, 2]);
    expect(first?.y?.shape).toEqual([8, 2]);
    first?.x.dispose();
    first?.y?.dispose();
    expect(ds.starts).not.toEqual([...ds.starts].sort((a, b) => a - b));
    expect(timeseriesDataset(rows, rows, { sequenceLength: 4, shuffle: true, seed: 3 }).starts).toEqual(ds.starts);
    expect([...ds.starts].sort((a, b) => a - b)).toEqual(Array.from({ length: 27 }, (_, i) => i));
    const unbatched = timeseriesDataset(rows, null, { sequenceLength: 4, batchSize: null });
    const one = unbatched[Symbol.iterator]().next().value;
    expect(one?.x.shape).toEqual([4, 2]);
    one?.x.dispose();
    expect(unbatched.length).toBe(27);
  });

  it('startIndex and endIndex cut the part windows come from; bad options are errors', () => {
    const steps = Array.from({ length: 50 }, (_, i) => i);
    const ds = timeseriesDataset(steps, steps, { sequenceLength: 5, startIndex: 10, endIndex: 20 });
    const { xs, ys } = collect(ds);
    expect(xs[0]).toEqual([10, 11, 12, 13, 14]);
    expect(xs.at(-1)).toEqual([15, 16, 17, 18, 19]);
    expect(ys[0]).toBe(10);
    expect(() => timeseriesDataset(steps, null, { sequenceLength: 0 })).toThrow(ValueError);
    expect(() => timeseriesDataset(steps, null, { sequenceLength: 5, samplingRate: 0 })).toThrow(
      /samplingRate must be a positive integer, got 0/,
    );
    expect(() => timeseriesDataset(steps, null, { sequenceLength: 60 })).toThrow(ConfigError);
    expect(() => timeseriesDataset([[1, 2], [3]], null, { sequenceLength: 1 })).toThrow(
      /step 1 has 1 features, step 0 has 2/,
    );
  });
});

describe('Normalizer (Keras Normalization.adapt)', () => {
  it('fits mean and population std on training data, transforms, inverts and round-trips through JSON', () => {
    const norm = Normalizer.fit([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(norm.mean).toEqual([2, 20]);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    const z = norm.transform([[2, 30]]);
    expect(z[0][0]).toBe(0);
    expect(z[0][1]).toBeCloseTo(10 / (10 * Math.sqrt(2 / 3)), 12);
    expect(norm.invert(z)[0][1]).toBeCloseTo(30, 10);
    const back = Normalizer.fromJSON(JSON.parse(JSON.stringify(norm)));
    expect(back.transformSeries([3], 0)[0]).toBeCloseTo(norm.transform([[3, 0]])[0][0], 12);
    expect(Normalizer.fit([5, 5, 5]).std).toEqual([1e-7]);
    expect(() => Normalizer.fromJSON({ format: 'x' })).toThrow(/not a recur normalizer/);
    expect(() => norm.transform([[1]])).toThrow(/row 0 has 1 features, expected 2/);
  });
});
