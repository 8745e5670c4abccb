import type { Module } from '@recur/layers';
import { clone, dispose, keep, type Tensor, ValueError } from '@recur/tensor';
import type { Callback, EpochLogs } from './fit';

/** An epoch log a callback can watch. */
export type Monitor = 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy';

function read(logs: EpochLogs, monitor: Monitor): number {
  const v = logs[monitor];
  if (v === undefined) throw new ValueError(`callback: '${monitor}' is not in the epoch logs (validation data given?)`);
  return v;
}

const better = (monitor: Monitor, a: number, b: number, minDelta: number) =>
  monitor.toLowerCase().includes('accuracy') ? a > b + minDelta : a < b - minDelta;

/** Keras' EarlyStopping: stop after `patience` epochs without improvement; optionally restore the best weights. */
export class EarlyStopping implements Callback {
  private best = Number.NaN;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | null = null;

  constructor(
    private readonly model: Module,
    private readonly options: {
      monitor?: Monitor;
      patience?: number;
      minDelta?: number;
      restoreBestWeights?: boolean;
    } = {},
  ) {}

  onEpochEnd(logs: EpochLogs): undefined | 'stop' {
    const monitor = this.options.monitor ?? 'valLoss';
    const value = read(logs, monitor);
    if (Number.isNaN(this.best) || better(monitor, value, this.best, this.options.minDelta ?? 0)) {
      this.best = value;
      this.wait = 0;
      if (this.options.restoreBestWeights) {
        if (this.bestWeights) dispose(this.bestWeights);
        this.bestWeights = Object.fromEntries(
          Object.entries(this.model.stateDict()).map(([k, t]) => [k, keep(clone(t))]),
        );
      }
      return;
    }
    this.wait++;
    if (this.wait >= (this.options.patience ?? 0)) {
      if (this.bestWeights) this.model.loadStateDict(this.bestWeights);
      return 'stop';
    }
  }

  onTrainEnd(): void {
    if (this.bestWeights) dispose(this.bestWeights);
    this.bestWeights = null;
  }
}

/** Calls `save` after each epoch, or only when the monitored value improves (saveBestOnly). */
export class ModelCheckpoint implements Callback {
  private best = Number.NaN;

  constructor(
    private readonly save: (logs: EpochLogs) => void | Promise<void>,
    private readonly options: { monitor?: Monitor; saveBestOnly?: boolean } = {},
  ) {}

  async onEpochEnd(logs: EpochLogs): Promise<void> {
    if (this.options.saveBestOnly) {
      const monitor = this.options.monitor ?? 'valLoss';
      const value = read(logs, monitor);
      if (!Number.isNaN(this.best) && !better(monitor, value, this.best, 0)) return;
      this.best = value;
    }
    await this.save(logs);
  }
}
