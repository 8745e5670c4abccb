import { Vocab } from '@recur/data';
import { manualSeed, Rng } from '@recur/tensor';
import { Adam, crossEntropy, decodeCheckpoint, encodeCheckpoint, trainStep } from '@recur/train';
import { TextClassifier } from '../../src/classifier';
import { demoExtra, demoMeta } from '../../src/demo-checkpoint';
import {
  binaryMetrics,
  type LabelledText,
  type SpamBatch,
  SpamTask,
  type SpamTaskOptions,
  spamProbability,
} from '../../src/spam-task';
import type { FromWorker, TrainSettings } from '../train-protocol';
import type { Batch, Session } from './session';

interface MessageBatch extends Batch, SpamBatch {}

/** Settings a classifier checkpoint keeps, so a continued run rebuilds the same model and split. */
interface ClassifierConfig {
  embedding: number;
  hidden: number;
  task: SpamTaskOptions;
}

/**
 * The spam classifier of `recur-demo classify` (Embedding → bidirectional LSTM over packed,
 * length-bucketed batches → Linear): the SpamAssassin bodies, 80% to train on, 20% held out for
 * validation accuracy; samples are predictions on held-out messages.
 */
export class ClassifierSession implements Session<MessageBatch> {
  step = 0;
  private readonly model: TextClassifier;
  private readonly optimizer: Adam;
  private readonly task: SpamTask;
  private readonly config: ClassifierConfig;

  constructor(s: TrainSettings, messages: readonly LabelledText[]) {
    let vocab: Vocab | undefined;
    let restored: ReturnType<typeof decodeCheckpoint> | undefined;
    if (s.resume) {
      restored = decodeCheckpoint(s.resume[0].bytes, s.resume[0].name);
      const meta = demoMeta(restored.extra);
      if (meta?.task !== 'classifier' || !('task' in meta.config) || !restored.vocab)
        throw new Error('this checkpoint is not a spam classifier from this page: choose the corpus it was trained on');
      this.config = meta.config as unknown as ClassifierConfig;
      vocab = Vocab.fromJSON(JSON.stringify(restored.vocab));
    } else {
      this.config = {
        embedding: s.embedding,
        hidden: s.hidden,
        task: { limit: 0, maxlen: s.seqLen, vocabSize: 5000, batch: s.batch, seed: s.seed },
      };
    }
    this.task = new SpamTask(messages, this.config.task, vocab);
    manualSeed(this.config.task.seed);
    this.model = new TextClassifier(
      this.task.vocab.size,
      this.config.embedding,
      this.config.hidden,
      2,
      new Rng(this.config.task.seed),
    );
    this.optimizer = new Adam(this.model.parameters(), { lr: s.lr });
    if (restored) {
      this.model.loadStateDict(restored.model);
      for (const t of Object.values(restored.model)) t.dispose();
      if (restored.optimizer) this.optimizer.loadState(restored.optimizer);
      this.step = restored.step;
    }
  }

  get summary() {
    const { train, test } = this.task;
    return {
      parameters: this.model.parameters().reduce((n, p) => n + p.value.size, 0),
      symbols: this.task.vocab.size,
      examples: `${train.length.toLocaleString('en-US')} training and ${test.length.toLocaleString('en-US')} held-out messages (${Math.round(this.task.spamShare * 100)}% spam)`,
    };
  }

  get batchesPerEpoch(): number {
    return this.task.batchesPerEpoch;
  }

  *batches(epoch: number): Iterable<MessageBatch> {
    // The task frees each batch once the loop moves on; dispose() is for a batch skipped early.
    for (const b of this.task.batches('train', this.config.task.seed + epoch)) {
      yield { ...b, tokenCount: b.tokens.size, dispose: () => {} };
    }
  }

  /** The one training step (@recur/train's trainStep). */
  async trainStep(b: MessageBatch): Promise<number> {
    const step = await trainStep({
      optimizer: this.optimizer,
      loss: () => crossEntropy(this.model.forward(b.tokens, b.lengths), b.labels),
      skipNonFinite: true,
    });
    return step.loss;
  }

  /** Accuracy on the held-out messages. */
  validate() {
    this.model.eval();
    const probs = spamProbability(this.model, this.task.testIds);
    this.model.train();
    const m = binaryMetrics(
      this.task.test.map((t) => t.label),
      probs.map((p) => (p >= 0.5 ? 1 : 0)),
    );
    return { label: 'validation accuracy', value: m.accuracy, plotted: m.accuracy };
  }

  /** Three held-out messages (the same each time) with the spam probability the model gives them now. */
  sample(): FromWorker {
    const picks = [0, 1, 2].map((k) => Math.floor((k * this.task.test.length) / 3));
    this.model.eval();
    const probs = spamProbability(
      this.model,
      picks.map((i) => this.task.testIds[i]),
    );
    this.model.train();
    const text = picks
      .map((i, k) => {
        const m = this.task.test[i];
        const verdict = probs[k] >= 0.5 ? 'SPAM' : 'ham';
        return `${verdict} ${(probs[k] * 100).toFixed(0)}% (is ${m.label ? 'spam' : 'ham'}): ${m.text.slice(0, 60)}`;
      })
      .join('\n');
    return { type: 'sample', step: this.step, text };
  }

  checkpoint() {
    const bytes = encodeCheckpoint({
      model: this.model.stateDict(),
      optimizer: this.optimizer.state(),
      step: this.step,
      vocab: this.task.vocab.toJSON(),
      extra: demoExtra({ task: 'classifier', config: { ...this.config } }),
    });
    return { bytes, fileName: `spam-classifier-step${this.step}.safetensors` };
  }

  onnx(): Uint8Array {
    throw new Error(
      'ONNX export covers the language model; the classifier reads packed batches through a bidirectional LSTM, which the exporter does not write yet',
    );
  }
}
