import type { LabelledText } from '../src/spam-task';
import type { Feature } from '../src/units-core';

/** Messages between the Train page and its Worker (structured-clone data only; weights never per step). */
export interface TrainSettings {
  /** A character language model on `corpus`, or the spam classifier on `messages`. */
  task: 'lm' | 'classifier';
  corpus: string;
  messages?: LabelledText[];
  cell: 'LSTM' | 'GRU' | 'RNN';
  hidden: number;
  embedding: number;
  /** Characters per window (language model) or words read from each message (classifier). */
  seqLen: number;
  batch: number;
  lr: number;
  /** Optimizer steps to run (the budget the ETA is for). */
  steps: number;
  /** Generate a sample every this many steps. */
  sampleEvery: number;
  backend: 'js' | 'tfjs';
  /** Most kernel threads backend-js may use (the page's `?threads=` parameter); absent: every core. */
  maxThreads?: number;
  /** Seeds the initial weights (a continued run keeps its checkpoint's). */
  seed: number;
  /** What the hidden-unit view looks for in each sample. */
  feature: Feature;
  /**
   * A model to continue from, instead of fresh weights: a recur checkpoint, an ONNX file recur
   * exported (its vocabulary in the metadata), or a Keras / TensorFlow.js model (model.json and
   * its weights, .keras, .h5, or recur's model file).
   */
  resume?: ModelFile[];
}

/** A file the page read, by name. */
export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

export type ToWorker =
  | { type: 'start'; settings: TrainSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'checkpoint' }
  | { type: 'feature'; feature: Feature }
  | { type: 'onnx' };

/** A sample with the activation of the hidden unit that best tracks `feature` at each character. */
export interface UnitView {
  text: string;
  feature: Feature;
  unit: number;
  /** Pearson correlation of the unit's activation with the feature. */
  r: number;
  activations: number[];
}

export interface Progress {
  type: 'progress';
  step: number;
  steps: number;
  loss: number;
  /**
   * The held-out figure when it was last measured: per-character perplexity (language model) or
   * accuracy (classifier); `plotted` is what the plot draws (the perplexity's log, in the loss's units).
   */
  validation: { label: string; value: number; plotted: number } | null;
  /** Tokens per second of the run so far, sampling and validation included. */
  tokensPerSecond: number;
  /** Tokens per second of the median training step alone (after three warm-up steps); null before. */
  stepTokensPerSecond: number | null;
  etaSeconds: number;
  liveTensors: number;
}

export type FromWorker =
  | {
      type: 'ready';
      /** Symbols (characters or words) in the vocabulary. */
      symbols: number;
      /** The training data, in words ("35,000 training characters"). */
      examples: string;
      parameters: number;
      backend: string;
      /** How the backend runs, in words ("2 threads (Workers inside this Worker)"). */
      threads: string;
      threadCount: number;
      step: number;
    }
  | Progress
  | { type: 'sample'; step: number; text: string; units?: UnitView }
  | { type: 'state'; state: 'running' | 'paused' | 'stopped' | 'done' }
  /** The run as a file to keep or continue from (named for its kind: .safetensors, .onnx). */
  | { type: 'checkpoint'; bytes: Uint8Array; step: number; fileName: string }
  | { type: 'onnx'; bytes: Uint8Array; step: number }
  /** Every step's training loss of this run (steps firstStep, firstStep + 1, …), when it ends. */
  | { type: 'losses'; firstStep: number; values: number[] }
  | { type: 'error'; message: string }
  /** Something the page should say without ending the run (an export this model has none of). */
  | { type: 'notice'; message: string };

/** How often the Worker reports at most (ms): the page stays smooth. */
export const PROGRESS_INTERVAL_MS = 100;
