import { ConfigError, clone, dispose, keep, type Tensor } from '@recur/tensor';
import type { Logs } from './logs';

/** What fit tells callbacks about the run (Keras' params). */
export interface FitParams {
  epochs: number;
  /** Batches per epoch, when known. */
  steps?: number;
  samples?: number;
  batchSize?: number;
  verbose: number;
  metrics: string[];
}

/** The part of a model callbacks may use. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(values: Tensor[]): void;
}

/**
 * A Keras / tfjs callback: any subset of the hooks. Batch logs hold the batch's own values (as
 * tfjs logs them); epoch logs hold the epoch's means and the validation values.
 */
export interface Callback {
  setModel?(model: CallbackModel): void;
  setParams?(params: FitParams): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  /** The logged value watched (default 'val_loss'). */
  monitor?: string;
  minDelta?: number;
  patience?: number;
  /** 'auto' (default): max for accuracy-like names, min otherwise. */
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  /** Put back the best epoch's weights when stopping (and at the end of training). */
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
}

/** Keras' EarlyStopping: stops when the monitored value has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  private model: CallbackModel | null = null;
  private best = Number.NaN;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch at which training stopped (0 if it did not). */
  stoppedEpoch = 0;
  private readonly options: Required<Omit<EarlyStoppingOptions, 'baseline'>> & { baseline?: number };

  constructor(options: EarlyStoppingOptions = {}) {
    const monitor = options.monitor ?? 'val_loss';
    const mode = options.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode))
      throw new ConfigError(`EarlyStopping: mode must be auto, min or max, got '${mode}'`);
    this.options = {
      monitor,
      minDelta: Math.abs(options.minDelta ?? 0),
      patience: options.patience ?? 0,
      mode,
      baseline: options.baseline,
      restoreBestWeights: options.restoreBestWeights ?? false,
      startFromEpoch: options.startFromEpoch ?? 0,
    };
  }

  private get maximise(): boolean {
    const { mode, monitor } = this.options;
    if (mode !== 'auto') return mode === 'max';
    return /acc|auc|precision|recall|f1/.test(monitor);
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.options.baseline ?? Number.NaN;
  }

  private improved(v: number): boolean {
    if (Number.isNaN(this.best)) return true;
    return this.maximise ? v - this.options.minDelta > this.best : v + this.options.minDelta < this.best;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const v = logs[this.options.monitor];
    if (v === undefined) {
      throw new ConfigError(
        `EarlyStopping: '${this.options.monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')}); give validation data for val_ values`,
      );
    }
    if (epoch < this.options.startFromEpoch) return;
    if (this.improved(v)) {
      this.best = v;
      this.wait = 0;
      if (this.options.restoreBestWeights && this.model) {
        if (this.bestWeights) dispose(this.bestWeights);
        this.bestWeights = this.model.getWeights().map((w) => keep(clone(w)));
      }
      return;
    }
    this.wait++;
    if (this.wait >= this.options.patience && epoch > 0 && this.model) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      this.restore();
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch === 0) this.restore();
    if (this.bestWeights) dispose(this.bestWeights);
    this.bestWeights = null;
  }

  private restore(): void {
    if (this.options.restoreBestWeights && this.bestWeights && this.model) this.model.setWeights(this.bestWeights);
  }
}

/** Callbacks given as plain functions (tfjs' CustomCallbackArgs). */
export function toCallbacks(given: Callback | Callback[] | undefined): Callback[] {
  if (!given) return [];
  return Array.isArray(given) ? given : [given];
}
