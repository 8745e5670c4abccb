import { finetune } from './finetune';

// `pnpm start` fine-tunes for the full budget; `--quick` is the CI-sized run.
const quick = process.argv.includes('--quick');
const r = await finetune({ epochs: quick ? 2 : 8, seed: 1, log: (l) => console.log(l) });
console.log(
  `\nheld-out perplexity per character: ${r.before.toFixed(2)} as exported, ${r.after.toFixed(2)} fine-tuned (29 symbols)`,
);
console.log(`written back to ONNX: onnxruntime-node and recur differ by at most ${r.exportMaxDiff.toExponential(2)}`);
console.log(`names it makes up: ${r.samples.join(', ')}`);
