import type { Module } from '@recur/layers';
import { isKept, tensorsCreated, tensorsIn } from '@recur/tensor';
import { type Callback, type FitParams, type History, type Logs, notify, type TrainedModel } from './callbacks';
import type { StepOutcome } from './step';

/** How one epoch's batch outcomes become the batch logs and the epoch's logs. */
export interface EpochAggregator {
  /** Adds a step's outcome (of `size` samples); returns the batch's logs. */
  add(outcome: StepOutcome, size: number): Logs;
  /** The epoch's logs (before validation). */
  result(): Logs;
}

/** What `trainLoop` runs: epochs of batches, each through `step`, with callbacks and validation. */
export interface TrainLoopOptions<B> {
  /** The model trained: switched to training mode, given to callbacks (`setModel`). */
  model: Module;
  /** Epochs to run. */
  epochs: number;
  /** The epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** A fresh (async) iterable of the epoch's batches. */
  batches(epoch: number): Iterable<B> | AsyncIterable<B>;
  /** Samples in a batch (Keras' `size` in batch logs; weights epoch means). */
  sizeOf(batch: B): number;
  /** One training step on one batch (the training step: `trainStep`). */
  step(batch: B, where: { epoch: number; batch: number }): Promise<StepOutcome>;
  /** A fresh aggregator for each epoch. */
  aggregate(epoch: number): EpochAggregator;
  /** Logs to add after each epoch (validation, `val_` names). */
  validate?(epoch: number): Promise<Logs>;
  /** Callbacks, notified in order. */
  callbacks: Callback[];
  /** What callbacks are told about the run (`setParams`). */
  params: FitParams;
  /** Aborting stops after the current batch (Ctrl-C in the demo). */
  signal?: AbortSignal;
}

// setImmediate where there is one (Node): setTimeout(0) waits at least 1 ms, a lot for a small batch.
const yieldToEventLoop = () =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(() => resolve()) : setTimeout(resolve, 0),
  );

/**
 * Yields each batch with the tensors made while it was produced: the loop owns those and frees
 * them after the batch's step (as tfjs' fitDataset does), unless they were `keep`-ed. Tensors that
 * existed before (a fixed list of batches reused every epoch) are the caller's.
 */
export async function* owned<B>(source: Iterable<B> | AsyncIterable<B>): AsyncGenerator<{ batch: B; made: number }> {
  const it =
    Symbol.asyncIterator in (source as object)
      ? (source as AsyncIterable<B>)[Symbol.asyncIterator]()
      : (source as Iterable<B>)[Symbol.iterator]();
  for (;;) {
    const made = tensorsCreated();
    const r = await it.next();
    if (r.done) return;
    yield { batch: r.value, made };
  }
}

/** Frees the tensors of `batch` made after `made` (a mark from tensorsCreated) that were not kept. */
export function release(batch: unknown, made: number): void {
  for (const t of tensorsIn(batch)) if (t.id >= made && !isKept(t)) t.dispose();
}

/**
 * The one training loop under `fit` and Keras' `Model.fit`: epochs of batches, one training step
 * each, the callbacks of Keras' protocol, validation after each epoch, early stop by a callback
 * (`model.stopTraining`) or an abort signal, and a History.
 */
export async function trainLoop<B>(options: TrainLoopOptions<B>): Promise<History> {
  const { callbacks, params } = options;
  const model = options.model as Module & Partial<TrainedModel>;
  const first = options.initialEpoch ?? 0;
  const history: History = { epoch: [], history: {}, params, stoppedBy: 'completed', steps: 0 };
  for (const cb of callbacks) {
    cb.setModel?.(model as TrainedModel);
    cb.setParams?.(params);
  }
  model.stopTraining = false;
  model.train();
  await notify(callbacks, 'onTrainBegin', {});
  epochs: for (let epoch = first; epoch < options.epochs; epoch++) {
    await notify(callbacks, 'onEpochBegin', epoch, {});
    const epochLogs = options.aggregate(epoch);
    let index = 0;
    for await (const { batch, made } of owned(options.batches(epoch))) {
      const size = options.sizeOf(batch);
      await notify(callbacks, 'onBatchBegin', index, { batch: index, size });
      let outcome: StepOutcome;
      try {
        outcome = await options.step(batch, { epoch, batch: index });
      } finally {
        release(batch, made);
      }
      if (!outcome.skipped) history.steps++;
      const logs = epochLogs.add(outcome, size);
      await notify(callbacks, 'onBatchEnd', index, { batch: index, size, ...logs });
      index++;
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        history.stoppedBy = 'abort';
        break epochs;
      }
    }
    const logs = { ...epochLogs.result(), ...((await options.validate?.(epoch)) ?? {}) };
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    await notify(callbacks, 'onEpochEnd', epoch, logs);
    if (model.stopTraining) {
      history.stoppedBy = 'callback';
      break;
    }
  }
  await notify(callbacks, 'onTrainEnd', {});
  return history;
}
