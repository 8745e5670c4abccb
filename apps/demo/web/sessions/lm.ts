import { lmWindows, Vocab } from '@recur/data';
import { exportOnnx } from '@recur/onnx';
import { manualSeed } from '@recur/tensor';
import {
  Adam,
  decodeCheckpoint,
  encodeCheckpoint,
  evaluate,
  generate,
  RecurrentLM,
  type RecurrentLMConfig,
  trainStep,
} from '@recur/train';
import { demoExtra, demoMeta, lmFromCheckpoint } from '../../src/demo-checkpoint';
import { FEATURES, type Feature, hiddenStates, rankUnits } from '../../src/units-core';
import type { FromWorker, TrainSettings, UnitView } from '../train-protocol';
import type { Session } from './session';
import { splitStream, type Window, windowBatches, windowsPerEpoch } from './windows';

/**
 * A character language model (RecurrentLM) on a text: 90% to train on as one stream of windows,
 * the last 10% held out for validation perplexity. Samples come with the hidden-unit view.
 */
export class LMSession implements Session<Window> {
  step = 0;
  private readonly lm: RecurrentLM;
  private readonly optimizer: Adam;
  private readonly vocab: Vocab;
  private readonly config: RecurrentLMConfig;
  private readonly train: number[];
  private readonly held: number[];

  constructor(
    private readonly s: TrainSettings,
    private readonly feature: () => Feature,
  ) {
    if (s.resume) {
      const c = decodeCheckpoint(s.resume[0].bytes, s.resume[0].name);
      if (demoMeta(c.extra)?.task === 'classifier')
        throw new Error('this checkpoint is the spam classifier: choose that corpus');
      ({ lm: this.lm, vocab: this.vocab } = lmFromCheckpoint(c, s.resume[0].name));
      this.config = this.lm.config;
      this.step = c.step;
      this.optimizer = new Adam(this.lm.parameters(), { lr: s.lr });
      if (c.optimizer) this.optimizer.loadState(c.optimizer);
    } else {
      this.vocab = Vocab.build([s.corpus], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
      this.config = { vocabSize: this.vocab.size, embeddingDim: s.embedding, hiddenSize: s.hidden, cell: s.cell };
      manualSeed(s.seed); // the same seed and settings start from the same weights
      this.lm = new RecurrentLM(this.config);
      this.optimizer = new Adam(this.lm.parameters(), { lr: s.lr });
    }
    // Characters the vocabulary never saw become <unk>.
    ({ train: this.train, held: this.held } = splitStream(this.vocab.encode(s.corpus), s.seqLen));
  }

  get summary() {
    return {
      parameters: this.lm.parameters().reduce((n, p) => n + p.value.size, 0),
      symbols: this.vocab.size,
      examples: `${this.train.length.toLocaleString('en-US')} training characters`,
    };
  }

  get batchesPerEpoch(): number {
    return windowsPerEpoch(this.train.length, this.s.batch, this.s.seqLen);
  }

  batches(): Iterable<Window> {
    return windowBatches(this.train, this.s.batch, this.s.seqLen);
  }

  /** The one training step (@recur/train's trainStep): loss, gradients, Adam. */
  async trainStep(w: Window): Promise<number> {
    const step = await trainStep({
      optimizer: this.optimizer,
      loss: () => this.lm.loss(w.x, w.y).loss,
      skipNonFinite: true,
    });
    return step.loss;
  }

  /** Per-character perplexity on the held-out 10% (plotted as its log, in the loss's units). */
  async validate() {
    const windows = lmWindows(this.held, { batchSize: this.s.batch, seqLen: this.s.seqLen });
    const v = await evaluate(this.lm, windows, (w) => ({ loss: this.lm.loss(w.x, w.y).loss, count: w.y.size }));
    const perplexity = Math.exp(v.loss);
    return { label: 'validation perplexity', value: perplexity, plotted: Math.log(perplexity) };
  }

  async sample(): Promise<FromWorker> {
    this.lm.eval();
    const prompt = this.vocab.encode('\n');
    const ids = await generate(this.lm, prompt, { maxTokens: 60, temperature: 0.8, seed: this.step });
    const text = this.vocab.decode(ids);
    const units = this.unitView([...prompt, ...ids]);
    this.lm.train();
    return { type: 'sample', step: this.step, text, units };
  }

  /** The hidden unit of the model being trained that best tracks the chosen feature over a sample. */
  private unitView(ids: number[]): UnitView {
    const feature = this.feature();
    const text = this.vocab.decode(ids);
    const states = hiddenStates(this.lm, ids);
    const best = rankUnits(states, FEATURES[feature](text))[0];
    return { text, feature, unit: best.unit, r: best.r, activations: states.map((h) => h[best.unit]) };
  }

  checkpoint() {
    const bytes = encodeCheckpoint({
      model: this.lm.stateDict(),
      optimizer: this.optimizer.state(),
      step: this.step,
      vocab: this.vocab.toJSON(),
      extra: demoExtra({ task: 'lm', config: { ...this.config, rng: undefined, dtype: undefined } }),
    });
    return { bytes, fileName: `lm-step${this.step}.safetensors` };
  }

  /** Standard ONNX with the vocabulary in its metadata, for onnxruntime or the Generate page. */
  onnx(): Uint8Array {
    return exportOnnx(this.lm, { metadata: { vocab: JSON.stringify(this.vocab.toJSON()) } });
  }
}
