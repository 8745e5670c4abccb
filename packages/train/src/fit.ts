import { noGrad, valueAndGradsOf } from '@recur/autograd';
import type { Module } from '@recur/layers';
import { argMax, cast, dispose, equal, mul, notEqual, RecurError, sum, type Tensor, tidy } from '@recur/tensor';
import { clipGradNorm } from './clip';
import type { Optimizer } from './optimizers/optimizer';
import type { Schedule } from './schedules';

/** What a loss function returns: the scalar loss and, optionally, counts for metrics. */
export interface StepResult {
  loss: Tensor;
  /** Targets this loss averages over (weights the epoch mean; tokens/s). Default 1. */
  count?: number;
  /** Correct predictions among them, for accuracy. */
  correct?: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  /** Batches per epoch when known (for an ETA). */
  batches?: number;
  loss: number;
  /** Targets seen so far this epoch and their rate. */
  count: number;
  countPerSecond: number;
  elapsedMs: number;
  lr: number;
  skipped: boolean;
}

export interface EpochLogs {
  epoch: number;
  loss: number;
  perplexity: number;
  accuracy?: number;
  valLoss?: number;
  valPerplexity?: number;
  valAccuracy?: number;
  lr: number;
  elapsedMs: number;
}

export interface Callback {
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
  /** Return 'stop' to end training after this epoch. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing is the common case.
  onEpochEnd?(logs: EpochLogs): void | 'stop' | Promise<void | 'stop'>;
  onTrainEnd?(history: History): void | Promise<void>;
}

export interface History {
  epochs: EpochLogs[];
  stoppedBy: 'completed' | 'callback' | 'abort';
  steps: number;
}

export interface FitOptions<B> {
  model: Module;
  optimizer: Optimizer;
  epochs: number;
  /** A fresh iterable (or async iterable) of training batches for each epoch (epoch is passed for seeded shuffles). */
  train: (epoch: number) => Iterable<B> | AsyncIterable<B>;
  validation?: () => Iterable<B>;
  /** The loss of one batch, computed from the model's forward pass. */
  loss: (batch: B, context: { training: boolean }) => StepResult | Tensor;
  /** Clip the global gradient norm to this before each update (torch's clip_grad_norm_). */
  clipGradNorm?: number;
  /** Skip a step whose loss or gradients are NaN / Inf instead of stopping with an error. */
  skipNonFinite?: boolean;
  callbacks?: Callback[];
  /** Stepped after each epoch with the validation loss (or the training loss). */
  schedule?: Schedule;
  batchesPerEpoch?: number;
  /** Aborting stops after the current batch (Ctrl-C in the demo). */
  signal?: AbortSignal;
}

// setImmediate where there is one (Node): setTimeout(0) waits at least 1 ms, a lot for a small batch.
const yieldToEventLoop = () =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(() => resolve()) : setTimeout(resolve, 0),
  );

function asResult(r: StepResult | Tensor): StepResult {
  return 'loss' in r && !('shape' in r) ? r : { loss: r as Tensor };
}

/**
 * Trains `model` with `optimizer` for `epochs`: one gradient step per batch, optional clipping,
 * a validation pass per epoch in eval mode, callbacks for progress, early stopping and checkpoints.
 * Every tensor a step makes is freed before the next one.
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
 * console.log(history.epochs.length, typeof history.epochs[0].loss); // 3 'number'
 * ```
 */
export async function fit<B>(options: FitOptions<B>): Promise<History> {
  const { model, optimizer, callbacks = [] } = options;
  const params = optimizer.params;
  const history: History = { epochs: [], stoppedBy: 'completed', steps: 0 };
  model.train();

  epochs: for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch);
    const epochStart = Date.now();
    let lossSum = 0;
    let count = 0;
    let correct = 0;
    let batch = 0;
    for await (const b of options.train(epoch)) {
      let counted = 1;
      let right: number | undefined;
      const { value, grads } = valueAndGradsOf(
        () => {
          const r = asResult(options.loss(b, { training: true }));
          counted = r.count ?? 1;
          right = r.correct;
          return r.loss;
        },
        params.map((p) => p.value),
      );
      const loss = value.item();
      value.dispose();
      let g = grads;
      let skipped = false;
      if (!Number.isFinite(loss)) {
        dispose(g);
        if (!options.skipNonFinite) {
          throw new RecurError(
            `fit: the loss is ${loss} at epoch ${epoch}, batch ${batch}; no update was applied (skipNonFinite skips such steps)`,
          );
        }
        skipped = true;
      } else {
        if (options.clipGradNorm !== undefined) g = clipGradNorm(g, options.clipGradNorm).grads;
        skipped = !optimizer.step(g, { skipNonFinite: options.skipNonFinite });
        dispose(g);
      }
      if (!skipped) {
        history.steps++;
        lossSum += loss * counted;
        count += counted;
        if (right !== undefined) correct += right;
      }
      const elapsedMs = Date.now() - epochStart;
      const logs: BatchLogs = {
        epoch,
        batch,
        batches: options.batchesPerEpoch,
        loss,
        count,
        countPerSecond: elapsedMs > 0 ? (count * 1000) / elapsedMs : 0,
        elapsedMs,
        lr: optimizer.lr,
        skipped,
      };
      for (const cb of callbacks) await cb.onBatchEnd?.(logs);
      batch++;
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        history.stoppedBy = 'abort';
        break epochs;
      }
    }
    const meanLoss = count ? lossSum / count : Number.NaN;
    const logs: EpochLogs = {
      epoch,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
      accuracy: correct ? correct / count : undefined,
      lr: optimizer.lr,
      elapsedMs: Date.now() - epochStart,
    };
    if (options.validation) {
      const v = evaluate(model, options.validation(), options.loss);
      logs.valLoss = v.loss;
      logs.valPerplexity = Math.exp(v.loss);
      logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    options.schedule?.step(logs.valLoss ?? logs.loss);
    let stop = false;
    for (const cb of callbacks) if ((await cb.onEpochEnd?.(logs)) === 'stop') stop = true;
    if (stop) {
      history.stoppedBy = 'callback';
      break;
    }
  }

  for (const cb of callbacks) await cb.onTrainEnd?.(history);
  return history;
}

/** Mean loss (weighted by count) and accuracy over batches, in eval mode with no gradient. */
export function evaluate<B>(
  model: Module,
  batches: Iterable<B>,
  loss: (batch: B, context: { training: boolean }) => StepResult | Tensor,
): { loss: number; accuracy?: number; count: number } {
  const wasTraining = model.training;
  model.eval();
  let sumLoss = 0;
  let count = 0;
  let correct = 0;
  let anyCorrect = false;
  try {
    for (const b of batches) {
      noGrad(() =>
        tidy(() => {
          const r = asResult(loss(b, { training: false }));
          const n = r.count ?? 1;
          sumLoss += r.loss.item() * n;
          count += n;
          if (r.correct !== undefined) {
            correct += r.correct;
            anyCorrect = true;
          }
        }),
      );
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: count ? sumLoss / count : Number.NaN, accuracy: anyCorrect ? correct / count : undefined, count };
}

/** How many argmax predictions of logits [..., C] equal the targets, and how many targets count. */
export function countCorrect(logits: Tensor, targets: Tensor, ignoreIndex = -100): { correct: number; count: number } {
  return tidy(() => {
    const valid = notEqual(targets, ignoreIndex);
    const hits = mul(cast(equal(argMax(logits, -1), cast(targets, 'int32')), 'int32'), cast(valid, 'int32'));
    return { correct: sum(hits).item(), count: sum(cast(valid, 'int32')).item() };
  });
}
