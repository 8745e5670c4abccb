import { ConfigError } from '@recur/tensor';
/** Logs of a batch or an epoch, Keras style: 'loss', 'accuracy', 'val_loss', ... */
export type Logs = Record<string, number>;

/** What a training run tells callbacks about itself (Keras' params). */
export interface FitParams {
  epochs: number;
  /** Batches per epoch, when known. */
  steps?: number;
  samples?: number;
  batchSize?: number;
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
  setModel?(model: TrainedModel): void;
  setParams?(params: FitParams): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** The model a callback is given: any recur module, with Keras' `stopTraining` flag. */
export interface TrainedModel {
  /** Set it to end training after the current epoch. */
  stopTraining: boolean;
  stateDict(): Record<string, import('@recur/tensor').Tensor>;
  loadStateDict(dict: Record<string, import('@recur/tensor').Tensor>): void;
}

/**
 * What a training run returns (Keras' History): the epochs run and, per logged name, one value
 * per epoch; how it ended and how many optimizer steps it took.
 */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  params: FitParams;
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
