import type { Module } from '@recur/layers';
import { argMax, cast, equal, mul, notEqual, sum, type Tensor, tidy } from '@recur/tensor';
import { type Callback, callbackList, type History, type Logs } from './loop/callbacks';
import { evalStep, type StepOutcome, type StepResult, trainStep } from './loop/step';
import { type EpochAggregator, owned, release, trainLoop } from './loop/train-loop';
import type { Optimizer } from './optimizers/optimizer';
import type { Schedule } from './schedules';

/** What `fit` trains and how: the model, its optimizer, the batches and the loss of one batch. */
export interface FitOptions<B> {
  /** The model (put in train mode for the steps, eval mode for validation). */
  model: Module;
  /** The optimizer over the model's parameters. */
  optimizer: Optimizer;
  /** Epochs to run. */
  epochs: number;
  /** The epoch to start counting from (resuming); default 0. */
  initialEpoch?: number;
  /**
   * A fresh iterable (or async iterable) of training batches for each epoch (epoch is passed for
   * seeded shuffles). Tensors it makes for a batch are freed after that batch's step (unless
   * `keep`-ed); tensors that existed before (a list reused every epoch) are left alone.
   */
  train: (epoch: number) => Iterable<B> | AsyncIterable<B>;
  /** A fresh iterable of validation batches, run after each epoch (logs val_loss, val_perplexity, val_accuracy). */
  validation?: () => Iterable<B> | AsyncIterable<B>;
  /** The loss of one batch, computed from the model's forward pass. */
  loss: (batch: B, context: { training: boolean }) => StepResult | Tensor;
  /** Clip the global gradient norm to this before each update (torch's clip_grad_norm_). */
  clipGradNorm?: number;
  /** Skip a step whose loss or gradients are NaN / Inf instead of stopping with an error. */
  skipNonFinite?: boolean;
  /** Callbacks (Keras' and tfjs' protocol): batch logs hold loss, count, countPerSecond, lr; epoch logs loss, perplexity, accuracy, val_… */
  callbacks?: Callback | Callback[];
  /** Stepped after each epoch with the validation loss (or the training loss). */
  schedule?: Schedule;
  /** Batches in an epoch, for progress reporting (optional). */
  batchesPerEpoch?: number;
  /** Aborting stops after the current batch (Ctrl-C in the demo). */
  signal?: AbortSignal;
}

/** Count-weighted epoch means, as PyTorch loops report them (float64). */
function countWeighted(optimizer: Optimizer): EpochAggregator {
  const start = Date.now();
  let lossSum = 0;
  let count = 0;
  let correct = 0;
  let anyCorrect = false;
  return {
    add(o) {
      if (!o.skipped) {
        lossSum += o.loss * o.count;
        count += o.count;
        if (o.correct !== undefined) {
          correct += o.correct;
          anyCorrect = true;
        }
      }
      const elapsedMs = Date.now() - start;
      return {
        loss: o.loss,
        count,
        countPerSecond: elapsedMs > 0 ? (count * 1000) / elapsedMs : 0,
        elapsedMs,
        lr: optimizer.lr,
        skipped: o.skipped ? 1 : 0,
        ...o.logs,
      };
    },
    result() {
      const loss = count ? lossSum / count : Number.NaN;
      const logs: Logs = { loss, perplexity: Math.exp(loss) };
      if (anyCorrect) logs.accuracy = correct / count;
      return { ...logs, lr: optimizer.lr, elapsedMs: Date.now() - start };
    },
  };
}

/**
 * Trains `model` with `optimizer` for `epochs` (PyTorch's loop, with Keras' callbacks): one
 * training step per batch (`trainStep`), optional clipping, a validation pass per epoch in eval
 * mode, callbacks for progress, early stopping and checkpoints, and a History. Every tensor a
 * step makes is freed before the next one, and so are the batch tensors `train` makes.
 *
 * @example
 * ```ts
 * import { Linear } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * import { fit, mse, SGD } from '@recur/train';
 * const model = new Linear(3, 1);
 * const batches = Array.from({ length: 8 }, () => ({ x: randomNormal([16, 3]), y: randomNormal([16, 1]) }));
 * const history = await fit({
 *   model,
 *   optimizer: new SGD(model.parameters(), { lr: 0.1 }),
 *   epochs: 3,
 *   train: () => batches,
 *   loss: (b) => mse(model.forward(b.x), b.y),
 * });
 * console.log(history.epoch, typeof history.history.loss[0]); // [0, 1, 2] 'number'
 * ```
 */
export async function fit<B>(options: FitOptions<B>): Promise<History> {
  const { model, optimizer } = options;
  const scheduleStep: Callback = {
    onEpochEnd: (_epoch, logs) => options.schedule?.step(logs?.val_loss ?? (logs?.loss as number)),
  };
  return trainLoop<B>({
    model,
    epochs: options.epochs,
    initialEpoch: options.initialEpoch,
    batches: options.train,
    sizeOf: () => 1,
    step: (b, at) =>
      trainStep({
        optimizer,
        loss: () => options.loss(b, { training: true }),
        clipGradNorm: options.clipGradNorm,
        skipNonFinite: options.skipNonFinite,
        where: `epoch ${at.epoch}, batch ${at.batch}`,
      }),
    aggregate: () => countWeighted(optimizer),
    validate: options.validation
      ? async () => {
          const v = await evaluate(model, (options.validation as () => Iterable<B>)(), options.loss);
          const logs: Logs = { val_loss: v.loss, val_perplexity: Math.exp(v.loss) };
          if (v.accuracy !== undefined) logs.val_accuracy = v.accuracy;
          return logs;
        }
      : undefined,
    callbacks: [...(options.schedule ? [scheduleStep] : []), ...callbackList(options.callbacks)],
    params: { epochs: options.epochs, steps: options.batchesPerEpoch, verbose: 0, metrics: ['loss'] },
    signal: options.signal,
  });
}

/**
 * Mean loss (weighted by count) and accuracy over batches, in eval mode with no gradient, read
 * asynchronously (any backend). Batch tensors the iterable makes are freed after their batch.
 */
export async function evaluate<B>(
  model: Module,
  batches: Iterable<B> | AsyncIterable<B>,
  loss: (batch: B, context: { training: boolean }) => StepResult | Tensor,
): Promise<{
  /** The count-weighted mean loss. */
  loss: number;
  /** The fraction of correct predictions, when the loss reports them. */
  accuracy?: number;
  /** Examples (or tokens) counted. */
  count: number;
}> {
  const wasTraining = model.training;
  model.eval();
  let sumLoss = 0;
  let count = 0;
  let correct = 0;
  let anyCorrect = false;
  try {
    for await (const { batch: b, made } of owned(batches)) {
      let o: StepOutcome;
      try {
        o = await evalStep(() => loss(b, { training: false }));
      } finally {
        release(b, made);
      }
      sumLoss += o.loss * o.count;
      count += o.count;
      if (o.correct !== undefined) {
        correct += o.correct;
        anyCorrect = true;
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: count ? sumLoss / count : Number.NaN, accuracy: anyCorrect ? correct / count : undefined, count };
}

/**
 * How many argmax predictions of logits [..., C] equal the targets, and how many targets count
 * (ignoreIndex left out), as scalar tensors: a StepResult's `correct` and `count`, read with the
 * loss after the step.
 */
export function countCorrect(
  logits: Tensor,
  targets: Tensor,
  ignoreIndex = -100,
): {
  /** Predictions equal to their target, a scalar tensor. */
  correct: Tensor;
  /** Targets counted (not ignoreIndex), a scalar tensor. */
  count: Tensor;
} {
  return tidy(() => {
    const valid = notEqual(targets, ignoreIndex);
    const hits = mul(cast(equal(argMax(logits, -1), cast(targets, 'int32')), 'int32'), cast(valid, 'int32'));
    return { correct: sum(hits), count: sum(cast(valid, 'int32')) };
  });
}
