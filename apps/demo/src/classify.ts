import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '@recur/autograd';
import { argMax, cast, equal, Rng, sum } from '@recur/tensor';
import { Adam, crossEntropy, fit } from '@recur/train';
import { saveCheckpoint } from '@recur/train/node';
import { TextClassifier } from './classifier';
import { loadSpam } from './corpus';
import { demoExtra } from './demo-checkpoint';
import { binaryMetrics, type Metrics, type SpamBatch, SpamTask, spamProbability } from './spam-task';

export { binaryMetrics, type Metrics } from './spam-task';

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
  const options = { limit: o.limit, maxlen: o.maxlen, vocabSize: o.vocabSize, batch: o.batch, seed: o.seed };
  const task = new SpamTask(loadSpam(), options, undefined, rng);
  const { train, test, vocab } = task;
  out.log(
    `spam classifier: ${train.length} training and ${test.length} held-out messages (${(task.spamShare * 100).toFixed(0)}% spam), ` +
      `${vocab.size} words, first ${o.maxlen} words of each body; Embedding(${o.embedding}) → BiLSTM(${o.hidden}) → Linear(2)`,
  );

  const model = new TextClassifier(vocab.size, o.embedding, o.hidden, 2, rng);
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  const history = await fit({
    model,
    optimizer,
    epochs: o.epochs,
    train: (epoch) => task.batches('train', o.seed + epoch),
    loss: (b: SpamBatch) => {
      const logits = model.forward(b.tokens, b.lengths);
      // Counted on the device and read with the loss after the step.
      const correct = noGrad(() => sum(cast(equal(argMax(logits, -1), b.labels), 'int32')));
      return { loss: crossEntropy(logits, b.labels), count: b.labels.size, correct };
    },
    clipGradNorm: 5,
    callbacks: [
      {
        onEpochEnd: (epoch, l = {}) =>
          out.log(
            `epoch ${epoch + 1}/${o.epochs}: loss ${l.loss.toFixed(3)}, training accuracy ${((l.accuracy ?? 0) * 100).toFixed(1)}% (${(l.elapsedMs / 1000).toFixed(1)} s)`,
          ),
      },
    ],
    signal,
  });

  model.eval();
  const probs = spamProbability(model, task.testIds);
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
    ? spamProbability(
        model,
        o.predict.map((t) => task.encode(t)),
      ).map((spam, i) => ({ text: o.predict[i], spam }))
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
    extra: demoExtra({
      task: 'classifier',
      config: { embedding: o.embedding, hidden: o.hidden, maxlen: o.maxlen },
      metrics: { ...metrics },
    }),
  });
  out.log(`checkpoint: ${checkpoint}`);
  optimizer.dispose();
  model.dispose();
  return { metrics, predictions, checkpoint };
}
