import { forecastBirths } from './forecast';

// `pnpm start` trains for the full budget; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await forecastBirths({
  lookback: 28,
  horizon: 7,
  epochs: quick ? 3 : 15,
  units: 32,
  seed: 1,
  log: (line) => console.log(line),
});
console.log(`\nmean absolute error on ${r.testWindows} held-out week forecasts (births per day, 1987–1988):`);
console.log(`  naive, last day again        ${r.mae.naiveLastValue.toFixed(0)}`);
console.log(`  naive, same weekday last week ${r.mae.seasonalNaive.toFixed(0)}`);
console.log(`  LSTM, single-shot             ${r.mae.singleShot.toFixed(0)}`);
console.log(`  LSTM, autoregressive          ${r.mae.autoregressive.toFixed(0)}`);
