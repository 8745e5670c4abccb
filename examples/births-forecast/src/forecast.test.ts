import { describe, expect, it } from 'vitest';
import { forecastBirths } from './forecast';

describe('births forecast example', () => {
  it('both LSTM forecasters beat the naive last-value forecast on the held-out years (CI budget)', async () => {
    const lines: string[] = [];
    const r = await forecastBirths({
      lookback: 28,
      horizon: 7,
      epochs: 3,
      units: 32,
      seed: 1,
      log: (l) => lines.push(l),
    });
    console.log(lines.join('\n'), r.mae);
    expect(r.testWindows).toBe(725);
    expect(r.mae.singleShot).toBeLessThan(0.5 * r.mae.naiveLastValue);
    expect(r.mae.autoregressive).toBeLessThan(0.5 * r.mae.naiveLastValue);
    // The weekly pattern is most of what can be predicted: within a few percent of "same weekday last week".
    expect(r.mae.singleShot).toBeLessThan(1.3 * r.mae.seasonalNaive);
  }, 300_000);
});
