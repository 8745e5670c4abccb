import { ConfigError, clone, dispose, keep, type Tensor } from '@recur/tensor';
import { type Callback, type Logs, maximises, monitored, type TrainedModel } from './callbacks';

/** EarlyStopping's options, Keras' arguments camelCased. */
export interface EarlyStoppingOptions {
  /** The logged value watched (default 'val_loss'). */
  monitor?: string;
  /** A change smaller than this is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** 'auto' (default): max for accuracy-like names, min otherwise. */
  mode?: 'auto' | 'min' | 'max';
  /** Stop if the value does not beat this (default none). */
  baseline?: number;
  /** Put back the best epoch's weights when stopping (and at the end of training). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all (default 0). */
  startFromEpoch?: number;
}

/**
 * Keras' EarlyStopping: stops when the monitored value has not improved for `patience` epochs,
 * optionally putting back the best epoch's weights. Works with `fit` and Keras' `Model.fit`.
 */
export class EarlyStopping implements Callback {
  private model: TrainedModel | null = null;
  private best = Number.NaN;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | null = null;
  /** The epoch at which training stopped (0 if it did not). */
  stoppedEpoch = 0;
  private readonly options: Required<Omit<EarlyStoppingOptions, 'baseline'>> & { baseline?: number };

  constructor(options: EarlyStoppingOptions = {}) {
    const mode = options.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode))
      throw new ConfigError(`EarlyStopping: mode must be auto, min or max, got '${mode}'`);
    this.options = {
      monitor: options.monitor ?? 'val_loss',
      minDelta: Math.abs(options.minDelta ?? 0),
      patience: options.patience ?? 0,
      mode,
      baseline: options.baseline,
      restoreBestWeights: options.restoreBestWeights ?? false,
      startFromEpoch: options.startFromEpoch ?? 0,
    };
  }

  setModel(model: TrainedModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.options.baseline ?? Number.NaN;
  }

  private improved(v: number): boolean {
    if (Number.isNaN(this.best)) return true;
    return maximises(this.options.mode, this.options.monitor)
      ? v - this.options.minDelta > this.best
      : v + this.options.minDelta < this.best;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const v = monitored('EarlyStopping', this.options.monitor, logs);
    if (epoch < this.options.startFromEpoch) return;
    if (this.improved(v)) {
      this.best = v;
      this.wait = 0;
      if (this.options.restoreBestWeights && this.model) {
        if (this.bestWeights) dispose(this.bestWeights);
        this.bestWeights = Object.fromEntries(
          Object.entries(this.model.stateDict()).map(([k, t]) => [k, keep(clone(t))]),
        );
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
    if (this.options.restoreBestWeights && this.bestWeights && this.model) this.model.loadStateDict(this.bestWeights);
  }
}
