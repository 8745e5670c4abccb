import type { FromWorker } from '../train-protocol';

/**
 * What the Train page's Worker trains: a character language model or the spam classifier. The
 * Worker's loop (steps, pause / stop, progress, checkpoints) is the same for both; a session knows
 * its data, its model and what its samples and checkpoints look like.
 */
export interface Session<B extends Batch = Batch> {
  /** Optimizer steps taken so far (a continued run starts at its checkpoint's). */
  step: number;
  /** What the page shows when training starts. */
  readonly summary: { parameters: number; symbols: number; examples: string };
  /** Batches in one pass over the training data (a continued run skips to where it stopped). */
  readonly batchesPerEpoch: number;
  /** One pass over the training data; each batch is freed after its step. */
  batches(epoch: number): Iterable<B>;
  /** One training step; returns the loss. */
  trainStep(batch: B): number | Promise<number>;
  /** The validation figure plotted beside the loss. */
  validate(): Validation | Promise<Validation>;
  /** A message to show how the model does now (a sample, predictions). */
  sample(): FromWorker | Promise<FromWorker>;
  /**
   * The whole run as one file to keep or continue from (a recur checkpoint: model, optimizer,
   * step, vocabulary; or the model's own format), named for its kind.
   */
  checkpoint(): { bytes: Uint8Array; fileName: string } | Promise<{ bytes: Uint8Array; fileName: string }>;
  /** The model as ONNX, or an error naming why this one has none. */
  onnx(): Uint8Array;
}

export interface Validation {
  label: string;
  value: number;
  /** What the plot draws (the perplexity's log, in the loss's units). */
  plotted: number;
}

export interface Batch {
  /** Tokens the step reads (for tokens / s). */
  readonly tokenCount: number;
  dispose(): void;
}
