import { Vocab } from '@recur/data';
import { loadModel, type Model, optimizers, serializeModel } from '@recur/keras';
import type { tensor } from '@recur/tensor';
import type { FromWorker, ModelFile, TrainSettings } from '../train-protocol';
import type { Session } from './session';
import { samplePrefix, splitStream, type Window, windowBatches, windowsPerEpoch } from './windows';

/**
 * A character language model from a Keras or TensorFlow.js file (model.json with its weights,
 * .keras, .h5, or recur's own model file): token ids [batch, time] in, next-character scores
 * [batch, time, V] out, trained by its own `trainOnBatch`. Its vocabulary is the one the file
 * keeps in `userDefinedMetadata.vocab` (the page writes it there), else one built from the corpus —
 * then the model must have room for every symbol. The run's file is recur's model file.
 */
export class KerasSession implements Session<Window> {
  step = 0;
  private train: number[] = [];
  private held: number[] = [];
  private probabilities = true;

  private constructor(
    private readonly s: TrainSettings,
    private readonly model: Model,
    private readonly vocab: Vocab,
  ) {}

  static async open(s: TrainSettings, files: ModelFile[]): Promise<KerasSession> {
    const model = await loadModel(files.map((f) => new File([f.bytes.slice().buffer as ArrayBuffer], f.name)));
    const kept = model.userDefinedMetadata?.vocab;
    const vocab = kept
      ? Vocab.fromJSON(JSON.stringify(kept))
      : Vocab.build([s.corpus], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
    const outputs = model.outputs[0]?.shape.at(-1) ?? 0;
    if (model.inputs.length !== 1 || model.outputs.length !== 1 || (outputs ?? 0) < vocab.size) {
      throw new Error(
        `${model.name}: expected one input of token ids and one output of at least ${vocab.size} scores per step (the vocabulary), got ${model.inputs.length} input(s) and outputs of ${outputs}`,
      );
    }
    const session = new KerasSession(s, model, vocab);
    // A last layer with softmax gives probabilities; anything else is read as logits.
    const last = model.layers.at(-1)?.getConfig().activation;
    session.probabilities = last === 'softmax';
    if (!model.isCompiled) {
      model.compile({
        optimizer: optimizers.adam({ learningRate: s.lr }),
        loss: session.probabilities
          ? 'sparseCategoricalCrossentropy'
          : { className: 'SparseCategoricalCrossentropy', config: { fromLogits: true } },
      });
    }
    model.userDefinedMetadata = { ...(model.userDefinedMetadata ?? {}), vocab: vocab.toJSON() };
    ({ train: session.train, held: session.held } = splitStream(vocab.encode(s.corpus), s.seqLen));
    return session;
  }

  get summary() {
    return {
      parameters: this.model.countParams(),
      symbols: this.vocab.size,
      examples: `${this.train.length.toLocaleString('en-US')} training characters (a Keras model: ${this.model.layers.map((l) => l.layerType).join(' → ')})`,
    };
  }

  get batchesPerEpoch(): number {
    return windowsPerEpoch(this.train.length, this.s.batch, this.s.seqLen);
  }

  batches(): Iterable<Window> {
    return windowBatches(this.train, this.s.batch, this.s.seqLen);
  }

  async trainStep(w: Window): Promise<number> {
    const logs = await this.model.trainOnBatch(w.x, w.y);
    return Array.isArray(logs) ? logs[0] : logs;
  }

  async validate() {
    let total = 0;
    let count = 0;
    for (const w of windowBatches(this.held, this.s.batch, this.s.seqLen)) {
      const loss = (await this.model.evaluate(w.x, w.y, { batchSize: this.s.batch, returnDict: true })) as Record<
        string,
        number
      >;
      total += loss.loss * w.y.size;
      count += w.y.size;
      w.dispose();
    }
    const perplexity = count ? Math.exp(total / count) : Number.NaN;
    return { label: 'validation perplexity', value: perplexity, plotted: Math.log(perplexity) };
  }

  async sample(): Promise<FromWorker> {
    const ids = await samplePrefix((x) => this.model.predict(x) as ReturnType<typeof tensor>, this.vocab.encode('\n'), {
      maxTokens: 40,
      symbols: this.vocab.size,
      temperature: 0.8,
      seed: this.step,
      probabilities: this.probabilities,
    });
    return { type: 'sample', step: this.step, text: this.vocab.decode(ids) };
  }

  async checkpoint() {
    const saved = await serializeModel(this.model, 'recur');
    return { bytes: saved.files['model.safetensors'], fileName: `keras-lm-step${this.step}.safetensors` };
  }

  onnx(): Uint8Array {
    throw new Error(
      'ONNX export from the page covers recur language models; convert a Keras model with recur-keras convert',
    );
  }
}
