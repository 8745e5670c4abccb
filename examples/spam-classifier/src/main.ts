import { trainSpamClassifier } from './spam';

// `pnpm start` uses every message; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await trainSpamClassifier({
  messages: quick ? 1500 : 6046,
  maxlen: quick ? 80 : 200,
  vocabSize: quick ? 4000 : 10000,
  epochs: quick ? 3 : 4,
  seed: 1,
  log: (line) => console.log(line),
});
console.log(
  `\nheld-out accuracy ${(r.accuracy * 100).toFixed(1)}% (always guessing the majority class: ${(r.baseline * 100).toFixed(1)}%), spam F1 ${r.f1.toFixed(3)}`,
);
for (const s of r.samples) console.log(`  ${(s.spam * 100).toFixed(1).padStart(5)}% spam  ${s.text.slice(0, 70)}…`);
