import { Normalizer, timeseriesDataset } from '@recur/data';
import { Dense, LSTM, Sequential } from '@recur/keras';
import { manualSeed, type Tensor, tensor, tidy } from '@recur/tensor';
import { type Day, loadBirths } from './births';

export interface ForecastOptions {
  /** Days the models see. */
  lookback: number;
  /** Days they forecast. */
  horizon: number;
  epochs: number;
  units: number;
  seed: number;
  log: (line: string) => void;
}

export interface ForecastResult {
  /** Mean absolute error in births per day over every held-out window and every forecast day. */
  mae: { naiveLastValue: number; seasonalNaive: number; singleShot: number; autoregressive: number };
  testWindows: number;
}

/** Per step: the normalised births and the day of the week one-hot (known in advance for every day). */
function features(days: Day[], norm: Normalizer): number[][] {
  const z = norm.transformSeries(days.map((d) => d.births));
  return days.map((d, i) => [z[i], ...Array.from({ length: 7 }, (_, k) => (d.dayOfWeek === k + 1 ? 1 : 0))]);
}

/**
 * Windows of `lookback` steps from `steps`, each with the next `horizon` values of `series` as
 * targets — as changes from the same weekday a week earlier (seasonal differencing), so the
 * network learns what the weekly pattern does not already say.
 */
function windows(steps: number[][], series: number[], lookback: number, horizon: number): { x: Tensor; y: Tensor } {
  const targets = series
    .slice(lookback)
    .map((_, i) =>
      series
        .slice(lookback + i, lookback + i + horizon)
        .map((v, h) => v - series[lookback + i + h - 7 + 7 * Math.floor(h / 7)]),
    );
  const usable = targets.filter((t) => t.length === horizon);
  const ds = timeseriesDataset(steps.slice(0, lookback + usable.length - 1), usable, {
    sequenceLength: lookback,
    batchSize: null,
  });
  const xs: number[] = [];
  const ys: number[] = [];
  for (const { x, y } of ds) {
    xs.push(...x.dataSync());
    ys.push(...(y as Tensor).dataSync());
    x.dispose();
    y?.dispose();
  }
  const n = ds.numSequences;
  return { x: tensor(xs, { shape: [n, lookback, steps[0].length] }), y: tensor(ys, { shape: [n, horizon] }) };
}

const mae = (a: number[][], b: number[][]) => {
  let sum = 0;
  let n = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      sum += Math.abs(v - b[i][j]);
      n++;
    });
  });
  return sum / n;
};

const rowsOf = (t: Tensor): number[][] => {
  const [n, h] = t.shape;
  const v = Array.from(t.dataSync());
  return Array.from({ length: n }, (_, i) => v.slice(i * h, (i + 1) * h));
};

/**
 * Daily US births a week ahead, from the four weeks before: train 1969–1984, validate on
 * 1985–1986, test on 1987–1988. The normaliser is fitted on the training years only. Two LSTM
 * forecasters — single-shot (all seven days at once) and autoregressive (one day, fed back) —
 * against the naive forecasts "the last day again" and "the same weekday last week".
 */
export async function forecastBirths(o: ForecastOptions): Promise<ForecastResult> {
  manualSeed(o.seed);
  const days = loadBirths();
  const train = days.filter((d) => d.year <= 1984);
  const valid = days.filter((d) => d.year >= 1985 && d.year <= 1986);
  // The test windows may look back into 1986: forecasts are made for 1987–1988 only.
  const testStart = days.findIndex((d) => d.year === 1987) - o.lookback;
  const test = days.slice(testStart);
  const norm = Normalizer.fit(train.map((d) => d.births));
  o.log(
    `births: ${train.length} training days, ${valid.length} validation, ${test.length - o.lookback} test (1987–1988)`,
  );
  const split = (part: Day[], horizon: number) =>
    windows(features(part, norm), norm.transformSeries(part.map((d) => d.births)), o.lookback, horizon);

  const trainW = split(train, o.horizon);
  const validW = split(valid, o.horizon);
  const testW = split(test, o.horizon);
  const testZ = norm.transformSeries(test.map((d) => d.births));
  /** A window's forecast of changes back to births: add the same weekday of the week before. */
  const undo = (i: number, changes: number[]) =>
    norm.invertSeries(changes.map((c, h) => c + testZ[i + o.lookback + h - 7 + 7 * Math.floor(h / 7)]));
  const truth = rowsOf(testW.y).map((r, i) => undo(i, r));

  // Naive forecasts from the raw series: the last observed day, and the same weekday a week earlier.
  const testBirths = test.map((d) => d.births);
  const lastValue = truth.map((_, i) => new Array(o.horizon).fill(testBirths[i + o.lookback - 1]));
  const seasonal = truth.map((_, i) =>
    Array.from({ length: o.horizon }, (_, h) => testBirths[i + o.lookback - 7 + (h % 7)]),
  );

  // Single shot: LSTM → Dense(horizon).
  const single = new Sequential([
    new LSTM({ units: o.units, inputShape: [o.lookback, 8] }),
    new Dense({ units: o.horizon }),
  ]);
  single.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const h1 = await single.fit(trainW.x, trainW.y, {
    epochs: o.epochs,
    batchSize: 64,
    validationData: [validW.x, validW.y],
    shuffle: true,
    seed: o.seed,
    verbose: 0,
  });
  o.log(`single-shot LSTM(${o.units}): validation mse ${h1.history.val_loss.at(-1)?.toFixed(4)}`);
  const singleForecast = rowsOf(tidy(() => single.predict(testW.x))).map((r, i) => undo(i, r));

  // Autoregressive: learns the next day only; forecasting feeds each prediction back in.
  const trainNext = split(train, 1);
  const validNext = split(valid, 1);
  const next = new Sequential([new LSTM({ units: o.units, inputShape: [o.lookback, 8] }), new Dense({ units: 1 })]);
  next.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const h2 = await next.fit(trainNext.x, trainNext.y, {
    epochs: o.epochs,
    batchSize: 64,
    validationData: [validNext.x, validNext.y],
    shuffle: true,
    seed: o.seed,
    verbose: 0,
  });
  o.log(`autoregressive LSTM(${o.units}): validation mse ${h2.history.val_loss.at(-1)?.toFixed(4)}`);
  const steps = features(test, norm);
  const autoForecast = truth.map((_, i) => {
    const window = steps.slice(i, i + o.lookback).map((r) => [...r]);
    const out: number[] = [];
    for (let h = 0; h < o.horizon; h++) {
      const change = tidy(() => next.predict(tensor([window], { shape: [1, o.lookback, 8] })).dataSync()[0]);
      // Today's forecast in normalised births: the change on top of the same weekday a week before
      // (which is inside the window: observed, or forecast a few steps ago).
      const z = change + window[o.lookback - 7][0];
      out.push(z);
      // The next step: the forecast and that day's (known) weekday.
      window.shift();
      window.push([z, ...steps[i + o.lookback + h].slice(1)]);
    }
    return norm.invertSeries(out);
  });

  const result: ForecastResult = {
    mae: {
      naiveLastValue: mae(lastValue, truth),
      seasonalNaive: mae(seasonal, truth),
      singleShot: mae(singleForecast, truth),
      autoregressive: mae(autoForecast, truth),
    },
    testWindows: truth.length,
  };
  for (const t of [
    trainW.x,
    trainW.y,
    validW.x,
    validW.y,
    testW.x,
    testW.y,
    trainNext.x,
    trainNext.y,
    validNext.x,
    validNext.y,
  ])
    t.dispose();
  single.dispose();
  next.dispose();
  return result;
}
