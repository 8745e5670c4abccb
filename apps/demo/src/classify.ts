import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '@recur/autograd';
import { bucketBatches, collate, shuffleInPlace, trainValidationSplit, Vocab } from '@recur/data';
import { argMax, equal, Rng, softmax, sum, tensor } from '@recur/tensor';
import { Adam, crossEntropy, fit } from '@recur/train';
import { saveCheckpoint } from '@recur/train/node';
import { TextClassifier } from './classifier';
import { type LabelledText, loadSpam } from './corpus';
import type { Output } from './train-lm';

export interface ClassifyOptions {
  /** Messages used (a random subset of the 6,046; all with 0). */
  limit: number;
  maxlen: number;
  vocabSize: number;
  embedding: number;
  hidden: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  out: string;
  predict: string[];
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

export interface ClassifyResult {
  metrics: Metrics;
  predictions: { text: string; spam: number }[];
  checkpoint: string;
}

/**
 * Spam or ham on the SpamAssassin corpus: word vocabulary from the training split, messages cut to
 * `maxlen` words, length-bucketed packed batches through an Embedding → BiLSTM → Linear classifier,
 * metrics on the held-out split, then a prediction for each text given.
 */
export async function classify(o: ClassifyOptions, out: Output, signal?: AbortSignal): Promise<ClassifyResult> {
  const rng = new Rng(o.seed);
  let all: LabelledText[] = loadSpam();
  const order = shuffleInPlace([...all.keys()], rng);
  all = order.slice(0, o.limit > 0 ? o.limit : order.length).map((i) => all[i]);
  const split = trainValidationSplit(all.length, { validationFraction: 0.2, seed: o.seed });
  const train = split.train.map((i) => all[i]);
  const test = split.validation.map((i) => all[i]);
  const vocab = Vocab.build(
    train.map((m) => m.text),
    {
      tokenizer: 'word',
      lowercase: true,
      maxSize: o.vocabSize,
      minFreq: 2,
      specials: { pad: '<pad>', unk: '<unk>', bos: null, eos: null },
    },
  );
  const encode = (text: string) => {
    const ids = vocab.encode(text).slice(0, o.maxlen);
    return ids.length ? ids : [vocab.encode('<unk>')[0] ?? 1];
  };
  const trainIds = train.map((m) => encode(m.text));
  const testIds = test.map((m) => encode(m.text));
  const spamShare = train.filter((m) => m.label).length / train.length;
  out.log(
    `spam classifier: ${train.length} training and ${test.length} held-out messages (${(spamShare * 100).toFixed(0)}% spam), ` +
      `${vocab.size} words, first ${o.maxlen} words of each body; Embedding(${o.embedding}) → BiLSTM(${o.hidden}) → Linear(2)`,
  );

  const model = new TextClassifier(vocab.size, o.embedding, o.hidden, 2, rng);
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const batchOf = (ids: number[][], labels: number[], picks: number[]) => {
    const { tokens, lengths } = collate(picks.map((i) => ids[i]));
    return {
      tokens,
      lengths,
      labels: tensor(
        picks.map((i) => labels[i]),
        { dtype: 'int32' },
      ),
    };
  };
  type Batch = ReturnType<typeof batchOf>;
  function* batches(ids: number[][], labels: number[], seed: number, shuffle: boolean): Generator<Batch> {
    for (const picks of bucketBatches(
      ids.map((s) => s.length),
      { batchSize: o.batch, seed, shuffle },
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
  const trainLabels = train.map((m) => m.label);
  const history = await fit({
    model,
    optimizer,
    epochs: o.epochs,
    train: (epoch) => batches(trainIds, trainLabels, o.seed + epoch, true),
    loss: (b: Batch) => {
      const logits = model.forward(b.tokens, b.lengths);
      const correct = noGrad(() => sum(equal(argMax(logits, -1), b.labels)).item());
      return { loss: crossEntropy(logits, b.labels), count: b.labels.size, correct };
    },
    clipGradNorm: 5,
    callbacks: [
      {
        onEpochEnd: (l) =>
          out.log(
            `epoch ${l.epoch + 1}/${o.epochs}: loss ${l.loss.toFixed(3)}, training accuracy ${((l.accuracy ?? 0) * 100).toFixed(1)}% (${(l.elapsedMs / 1000).toFixed(1)} s)`,
          ),
      },
    ],
    signal,
  });

  model.eval();
  const spamProbability = (ids: number[][]) =>
    noGrad(() => {
      const out: number[] = [];
      for (let i = 0; i < ids.length; i += 64) {
        const b = batchOf(
          ids,
          ids.map(() => 0),
          [...Array(Math.min(64, ids.length - i)).keys()].map((k) => i + k),
        );
        const p = softmax(model.forward(b.tokens, b.lengths), -1).dataSync();
        for (let r = 0; r < p.length / 2; r++) out.push(p[2 * r + 1]);
        b.tokens.dispose();
        b.lengths.dispose();
        b.labels.dispose();
      }
      return out;
    });
  const probs = spamProbability(testIds);
  const metrics = binaryMetrics(
    test.map((m) => m.label),
    probs.map((p) => (p >= 0.5 ? 1 : 0)),
  );
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  out.log(
    `held-out (${test.length} messages): accuracy ${pct(metrics.accuracy)}, precision ${pct(metrics.precision)}, ` +
      `recall ${pct(metrics.recall)}, F1 ${metrics.f1.toFixed(3)}`,
  );
  const [[tn, fp], [fn, tp]] = metrics.confusion;
  out.log(`confusion: ham kept ${tn}, ham flagged ${fp}, spam missed ${fn}, spam caught ${tp}`);
  const predictions = o.predict.length
    ? spamProbability(o.predict.map(encode)).map((spam, i) => ({ text: o.predict[i], spam }))
    : [];
  for (const p of predictions) {
    out.log(`${p.spam >= 0.5 ? 'SPAM' : 'ham '} ${pct(p.spam).padStart(6)}  ${JSON.stringify(p.text.slice(0, 70))}`);
  }
  mkdirSync(o.out, { recursive: true });
  const checkpoint = join(o.out, 'spam-classifier.safetensors');
  saveCheckpoint(checkpoint, {
    model: model.stateDict(),
    step: history.steps,
    vocab: vocab.toJSON(),
    extra: { demo: { classifier: { embedding: o.embedding, hidden: o.hidden, maxlen: o.maxlen }, metrics } },
  });
  out.log(`checkpoint: ${checkpoint}`);
  optimizer.dispose();
  model.dispose();
  return { metrics, predictions, checkpoint };
}
