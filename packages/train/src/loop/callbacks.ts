import { ConfigError } from '@recur/tensor';
/** Logs of a batch or an epoch, Keras style: 'loss', 'accuracy', 'val_loss', ... */
export type Logs = Record<string, number>;

/** What a training run tells callbacks about itself (Keras' params). */
export interface FitParams {
  /** Epochs the run was asked for. */
  epochs: number;
  /** Batches per epoch, when known. */
  steps?: number;
  /** Training examples, when known (Keras' fit on arrays). */
  samples?: number;
  /** Examples per batch, when known. */
  batchSize?: number;
  /** Keras' verbosity (0 silent, 1 progress bar, 2 one line an epoch). */
  verbose: number;
  /** The names logged each epoch. */
  metrics: string[];
}

/**
 * The one callback protocol of recur's training loops (`fit`, Keras' `Model.fit`), Keras' and
 * TensorFlow.js': any subset of the hooks, each maybe async. Batch logs hold the batch's own values
 * (as tfjs logs them); epoch logs hold the epoch's values and the validation values (`val_`).
 * A callback ends training after the current epoch by setting `stopTraining` on the model it was
 * given (`setModel`), as Keras' `model.stop_training`.
 */
export interface Callback {
  /** Given the model being trained, before training starts. */
  setModel?(model: TrainedModel): void;
  /** Given the run's parameters, before training starts. */
  setParams?(params: FitParams): void;
  /** Training starts. */
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  /** Training ended (completed, stopped by a callback, or aborted). */
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  /** An epoch starts (epochs count from `initialEpoch`). */
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  /** An epoch ended: `logs` holds its means and the validation values. */
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  /** A batch's step starts. */
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  /** A batch's step ended: `logs` holds its values. */
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** The model a callback is given: any recur module, with Keras' `stopTraining` flag. */
export interface TrainedModel {
  /** Set it to end training after the current epoch. */
  stopTraining: boolean;
  /** Its parameters by name (EarlyStopping keeps the best epoch's). */
  stateDict(): Record<string, import('@recur/tensor').Tensor>;
  /** Puts parameters back (EarlyStopping's restoreBestWeights). */
  loadStateDict(dict: Record<string, import('@recur/tensor').Tensor>): void;
}

/**
 * What a training run returns (Keras' History): the epochs run and, per logged name, one value
 * per epoch; how it ended and how many optimizer steps it took.
 */
export interface History {
  /** The epochs run, by number. */
  epoch: number[];
  /** Per logged name ('loss', 'val_loss', ...), one value per epoch run. */
  history: Record<string, number[]>;
  /** The run's parameters. */
  params: FitParams;
  /** Whether every epoch ran, a callback stopped training, or the signal aborted it. */
  stoppedBy: 'completed' | 'callback' | 'abort';
  /** Optimizer steps applied (skipped non-finite steps are not counted). */
  steps: number;
}

/** Calls a hook of every callback in order, awaiting each. */
export async function notify<K extends keyof Callback>(
  callbacks: readonly Callback[],
  hook: K,
  ...args: Parameters<NonNullable<Callback[K]>>
): Promise<void> {
  for (const cb of callbacks) {
    const f = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (f) await f.apply(cb, args);
  }
}

/** Callbacks given as one or a list (tfjs' CustomCallbackArgs accept either). */
export function callbackList(given: Callback | readonly Callback[] | undefined): Callback[] {
  if (!given) return [];
  return Array.isArray(given) ? [...given] : [given as Callback];
}

/** The monitored value of an epoch's logs, or an error naming what the logs hold. */
export function monitored(who: string, monitor: string, logs: Logs): number {
  const v = logs[monitor];
  if (v === undefined) {
    throw new ConfigError(
      `${who}: '${monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')}); give validation data for val_ values`,
    );
  }
  return v;
}

/** Keras' 'auto' mode: higher is better for accuracy-like names. */
export const maximises = (mode: 'auto' | 'min' | 'max', monitor: string) =>
  mode === 'auto' ? /acc|auc|precision|recall|f1/.test(monitor) : mode === 'max';
