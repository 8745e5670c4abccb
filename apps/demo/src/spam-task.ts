import { noGrad } from '@recur/autograd';
import { bucketBatches, collate, shuffleInPlace, trainValidationSplit, Vocab } from '@recur/data';
import { Rng, softmax, type Tensor, tensor } from '@recur/tensor';
import type { TextClassifier } from './classifier';

// The spam classifier's data, shared by the CLI's `classify` and the Train page's Worker: nothing
// here reads files, so it runs in a browser too.

export interface LabelledText {
  text: string;
  /** 1 = spam, 0 = ham */
  label: number;
}

/** The body of an e-mail: everything after the first blank line (the headers give the answer away). */
export function messageBody(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  return at >= 0 ? raw.slice(at).trim() : raw;
}

/** The first `n` whitespace-separated words of a text (a message is classified from its start). */
export function firstWords(text: string, n: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, n).join(' ');
}

export interface SpamTaskOptions {
  /** Messages used (a random subset; all with 0). */
  limit: number;
  /** Words read from each message. */
  maxlen: number;
  /** Most frequent words kept in the vocabulary. */
  vocabSize: number;
  batch: number;
  seed: number;
}

export interface SpamBatch {
  tokens: Tensor;
  lengths: Tensor;
  labels: Tensor;
}

export interface Metrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** [[true ham, false spam], [missed spam, caught spam]] */
  confusion: [[number, number], [number, number]];
}

/** Binary metrics with spam (1) as the positive class. */
export function binaryMetrics(truth: readonly number[], predicted: readonly number[]): Metrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  truth.forEach((t, i) => {
    const p = predicted[i];
    if (t === 1 && p === 1) tp++;
    else if (t === 0 && p === 1) fp++;
    else if (t === 1 && p === 0) fn++;
    else tn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / Math.max(1, truth.length),
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    confusion: [
      [tn, fp],
      [fn, tp],
    ],
  };
}

/**
 * Spam or ham: a seeded 80 / 20 split of the messages, a word vocabulary from the training split
 * (or a given one, when training continues), each message cut to `maxlen` word ids, and
 * length-bucketed batches (each padded only to its own longest message, for packing).
 */
export class SpamTask {
  readonly train: LabelledText[];
  readonly test: LabelledText[];
  readonly vocab: Vocab;
  readonly trainIds: number[][];
  readonly testIds: number[][];

  constructor(
    messages: readonly LabelledText[],
    readonly options: SpamTaskOptions,
    vocab?: Vocab,
    /** The generator the shuffle draws from (and the caller may go on drawing from). */
    rng = new Rng(options.seed),
  ) {
    const order = shuffleInPlace([...messages.keys()], rng);
    const all = order.slice(0, options.limit > 0 ? options.limit : order.length).map((i) => messages[i]);
    const split = trainValidationSplit(all.length, { validationFraction: 0.2, seed: options.seed });
    this.train = split.train.map((i) => all[i]);
    this.test = split.validation.map((i) => all[i]);
    this.vocab =
      vocab ??
      Vocab.build(
        this.train.map((m) => m.text),
        {
          tokenizer: 'word',
          lowercase: true,
          maxSize: options.vocabSize,
          minFreq: 2,
          specials: { pad: '<pad>', unk: '<unk>', bos: null, eos: null },
        },
      );
    this.trainIds = this.train.map((m) => this.encode(m.text));
    this.testIds = this.test.map((m) => this.encode(m.text));
  }

  /** A message's first `maxlen` word ids (at least one: an empty body reads as <unk>). */
  encode(text: string): number[] {
    const ids = this.vocab.encode(text).slice(0, this.options.maxlen);
    return ids.length ? ids : [this.vocab.encode('<unk>')[0] ?? 1];
  }

  /** The share of spam among the training messages. */
  get spamShare(): number {
    return this.train.filter((m) => m.label).length / Math.max(1, this.train.length);
  }

  /** Batches of the given messages, each freed after its step; training batches shuffled by `seed`. */
  *batches(split: 'train' | 'test', seed: number, shuffle = split === 'train'): Generator<SpamBatch> {
    const [ids, messages] = split === 'train' ? [this.trainIds, this.train] : [this.testIds, this.test];
    const labels = messages.map((m) => m.label);
    for (const picks of bucketBatches(
      ids.map((s) => s.length),
      { batchSize: this.options.batch, seed, shuffle },
    )) {
      const b = batchOf(ids, labels, picks);
      try {
        yield b;
      } finally {
        b.tokens.dispose();
        b.lengths.dispose();
        b.labels.dispose();
      }
    }
  }

  /** Batches in one pass over the training split. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.trainIds.length / this.options.batch);
  }
}

function batchOf(ids: number[][], labels: readonly number[], picks: number[]): SpamBatch {
  const { tokens, lengths } = collate(picks.map((i) => ids[i]));
  return {
    tokens,
    lengths,
    labels: tensor(
      picks.map((i) => labels[i]),
      { dtype: 'int32' },
    ),
  };
}

/** P(spam) for each message (word ids), in batches of 64, with no gradient. */
export function spamProbability(model: TextClassifier, ids: number[][]): number[] {
  return noGrad(() => {
    const out: number[] = [];
    for (let i = 0; i < ids.length; i += 64) {
      const picks = [...Array(Math.min(64, ids.length - i)).keys()].map((k) => i + k);
      const b = batchOf(
        ids,
        ids.map(() => 0),
        picks,
      );
      const logits = model.forward(b.tokens, b.lengths);
      const probs = softmax(logits, -1);
      const p = probs.dataSync();
      for (let r = 0; r < p.length / 2; r++) out.push(p[2 * r + 1]);
      for (const t of [b.tokens, b.lengths, b.labels, logits, probs]) t.dispose();
    }
    return out;
  });
}
