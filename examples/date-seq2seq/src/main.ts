import { trainDates } from './dates';

// `pnpm start` trains for the full budget; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await trainDates({
  samples: quick ? 8000 : 20000,
  epochs: quick ? 8 : 20,
  units: 64,
  seed: 1,
  log: (l) => console.log(l),
});
console.log(
  `\n500 held-out dates: ${(r.exactMatch * 100).toFixed(1)}% decoded exactly, ${(r.charAccuracy * 100).toFixed(1)}% of characters right`,
);
for (const e of r.examples)
  console.log(`  ${e.human.padEnd(32)} → ${e.decoded}${e.decoded === e.iso ? '' : `   (${e.iso})`}`);
