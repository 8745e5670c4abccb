import { trainTagger } from './tagger';

// `pnpm start` trains for the full budget; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await trainTagger({
  sentences: quick ? 3000 : 10000,
  epochs: quick ? 3 : 6,
  hidden: quick ? 32 : 64,
  seed: 1,
  log: (l) => console.log(l),
});
console.log(
  `\ncapital-letter F1 on held-out sentences: ${r.f1.toFixed(3)} (the first-letter-and-"I" rule: ${r.ruleF1.toFixed(3)})`,
);
for (const e of r.examples) console.log(`  ${e.input}\n→ ${e.output}`);
