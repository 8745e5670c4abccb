import { noGrad, valueAndGradsOf } from '@recur/autograd';
import { lmWindows, Vocab } from '@recur/data';
import { exportOnnx } from '@recur/onnx';
import { manualSeed, tidy } from '@recur/tensor';
import { Adam, decodeCheckpoint, encodeCheckpoint, generate, RecurrentLM, type RecurrentLMConfig } from '@recur/train';
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
      if (!c.vocab) throw new Error('the checkpoint has no vocabulary');
      if (c.extra?.task === 'classifier') throw new Error('this checkpoint is the spam classifier: choose that corpus');
      this.vocab = Vocab.fromJSON(JSON.stringify(c.vocab));
      this.config = (c.extra?.model as RecurrentLMConfig | undefined) ?? {
        vocabSize: this.vocab.size,
        embeddingDim: s.embedding,
        hiddenSize: s.hidden,
        cell: s.cell,
      };
      this.lm = new RecurrentLM(this.config);
      this.lm.loadStateDict(c.model);
      for (const t of Object.values(c.model)) t.dispose();
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

  trainStep(w: Window): number {
    const params = this.lm.parameters().map((p) => p.value);
    return tidy(() => {
      const { value, grads } = valueAndGradsOf(() => this.lm.loss(w.x, w.y).loss, params);
      this.optimizer.step(grads, { skipNonFinite: true });
      return value.item();
    });
  }

  /** Per-character perplexity on the held-out 10% (plotted as its log, in the loss's units). */
  validate() {
    let total = 0;
    let count = 0;
    this.lm.eval();
    noGrad(() => {
      for (const w of lmWindows(this.held, { batchSize: this.s.batch, seqLen: this.s.seqLen })) {
        tidy(() => {
          total += this.lm.loss(w.x, w.y).loss.item() * w.y.size;
          count += w.y.size;
        });
        w.x.dispose();
        w.y.dispose();
      }
    });
    this.lm.train();
    const perplexity = count ? Math.exp(total / count) : Number.NaN;
    return { label: 'validation perplexity', value: perplexity, plotted: Math.log(perplexity) };
  }

  sample(): FromWorker {
    this.lm.eval();
    const prompt = this.vocab.encode('\n');
    const ids = generate(this.lm, prompt, { maxTokens: 60, temperature: 0.8, seed: this.step });
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
      extra: { task: 'lm', model: { ...this.config, rng: undefined, dtype: undefined } },
    });
    return { bytes, fileName: `lm-step${this.step}.safetensors` };
  }

  /** Standard ONNX with the vocabulary in its metadata, for onnxruntime or the Generate page. */
  onnx(): Uint8Array {
    return exportOnnx(this.lm, { metadata: { vocab: JSON.stringify(this.vocab.toJSON()) } });
  }
}
