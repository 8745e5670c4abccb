import { noGrad } from '@recur/autograd';
import { Vocab } from '@recur/data';
import { type LiftedModel, liftOnnx, OnnxModel } from '@recur/onnx';
import type { Tensor } from '@recur/tensor';
import { Adam, crossEntropy, evaluate, trainStep } from '@recur/train';
import type { FromWorker, ModelFile, TrainSettings } from '../train-protocol';
import type { Session } from './session';
import { samplePrefix, splitStream, type Window, windowBatches, windowsPerEpoch } from './windows';

/**
 * A character language model from an ONNX file recur exported (the Train page's Export ONNX: its
 * vocabulary in the metadata): `liftOnnx` turns its Gather / LSTM / MatMul nodes into recur layers
 * that train, and the graph with the new weights is the run's file. ONNX keeps no optimizer
 * state, so Adam starts afresh when a run continues from one.
 */
export class OnnxSession implements Session<Window> {
  step = 0;
  private readonly model: LiftedModel;
  private readonly optimizer: Adam;
  private readonly vocab: Vocab;
  private readonly input: string;
  private readonly output: string;
  private readonly train: number[];
  private readonly held: number[];

  constructor(
    private readonly s: TrainSettings,
    file: ModelFile,
  ) {
    const graph = OnnxModel.load(file.bytes);
    const vocab = graph.metadata.vocab;
    if (!vocab) {
      graph.dispose();
      throw new Error(
        `${file.name} carries no vocabulary: the page continues ONNX files that recur exported (their metadata keeps the vocabulary)`,
      );
    }
    this.vocab = Vocab.fromJSON(vocab);
    [this.input] = graph.inputs.map((i) => i.name);
    [this.output] = graph.outputs.map((o) => o.name);
    this.model = liftOnnx(graph);
    this.optimizer = new Adam(this.model.parameters(), { lr: s.lr });
    // Characters the vocabulary never saw become <unk>.
    ({ train: this.train, held: this.held } = splitStream(this.vocab.encode(s.corpus), s.seqLen));
  }

  get summary() {
    return {
      parameters: this.model.parameters().reduce((n, p) => n + p.value.size, 0),
      symbols: this.vocab.size,
      examples: `${this.train.length.toLocaleString('en-US')} training characters (an ONNX graph: ${this.model.lifted.map((l) => l.layer.layerType).join(' → ')})`,
    };
  }

  get batchesPerEpoch(): number {
    return windowsPerEpoch(this.train.length, this.s.batch, this.s.seqLen);
  }

  batches(): Iterable<Window> {
    return windowBatches(this.train, this.s.batch, this.s.seqLen);
  }

  private logits(x: Tensor): Tensor {
    return this.model.forward({ [this.input]: x })[this.output];
  }

  /** The one training step (@recur/train's trainStep). */
  async trainStep(w: Window): Promise<number> {
    const step = await trainStep({
      optimizer: this.optimizer,
      loss: () => crossEntropy(this.logits(w.x), w.y),
      skipNonFinite: true,
    });
    return step.loss;
  }

  async validate() {
    const windows = windowBatches(this.held, this.s.batch, this.s.seqLen);
    const v = await evaluate(this.model, windows, (w) => ({
      loss: crossEntropy(this.logits(w.x), w.y),
      count: w.y.size,
    }));
    const perplexity = Math.exp(v.loss);
    return { label: 'validation perplexity', value: perplexity, plotted: Math.log(perplexity) };
  }

  async sample(): Promise<FromWorker> {
    const ids = await samplePrefix((x) => noGrad(() => this.logits(x)), this.vocab.encode('\n'), {
      maxTokens: 40,
      symbols: this.vocab.size,
      temperature: 0.8,
      seed: this.step,
      probabilities: false,
    });
    return { type: 'sample', step: this.step, text: this.vocab.decode(ids) };
  }

  checkpoint() {
    return { bytes: this.model.toOnnx(), fileName: `lm-step${this.step}.onnx` };
  }

  onnx(): Uint8Array {
    return this.model.toOnnx();
  }
}
