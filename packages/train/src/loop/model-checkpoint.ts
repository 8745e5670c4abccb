import { type Callback, type Logs, maximises, monitored } from './callbacks';

/** Calls `save` after each epoch, or only when the monitored value improves (saveBestOnly). */
export class ModelCheckpoint implements Callback {
  private best = Number.NaN;

  constructor(
    private readonly save: (epoch: number, logs: Logs) => void | Promise<void>,
    private readonly options: { monitor?: string; saveBestOnly?: boolean; mode?: 'auto' | 'min' | 'max' } = {},
  ) {}

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.options.saveBestOnly) {
      const monitor = this.options.monitor ?? 'val_loss';
      const value = monitored('ModelCheckpoint', monitor, logs);
      const better = maximises(this.options.mode ?? 'auto', monitor) ? value > this.best : value < this.best;
      if (!Number.isNaN(this.best) && !better) return;
      this.best = value;
    }
    await this.save(epoch, logs);
  }
}
