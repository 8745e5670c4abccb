import { trainNames } from './names';

// `pnpm start` trains for the full budget; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await trainNames({
  hidden: quick ? 64 : 256,
  epochs: quick ? 3 : 10,
  seed: 1,
  out: 'runs',
  log: (l) => console.log(l),
});
console.log(
  `\nheld-out perplexity ${r.validationPerplexity.toFixed(2)} per character (a uniform guess: ${r.vocabularySize}); checkpoint ${r.checkpoint}`,
);
for (const s of r.samples)
  console.log(`temperature ${s.temperature}${s.topK ? `, top-${s.topK}` : ''}: ${s.names.join(', ')}`);
console.log(`${(r.novel * 100).toFixed(0)}% of the sampled names are not in the list`);
