import { ValueError } from '@recur/tensor';
import type { Optimizer } from './optimizers/optimizer';

/** Sets the optimizer's learning rate for each epoch (or step), as PyTorch's lr_scheduler. */
export interface Schedule {
  /** Call once per epoch, after that epoch's optimizer steps; `metric` feeds reduce-on-plateau. */
  step(metric?: number): void;
  /** The learning rate it last set. */
  readonly lastLr: number;
}

abstract class EpochSchedule implements Schedule {
  /** Epochs stepped so far. */
  protected epoch = 0;
  /** The optimizer's learning rate when the schedule was made. */
  protected readonly baseLr: number;

  constructor(
    /** The optimizer whose learning rate it sets. */
    protected readonly optimizer: Optimizer,
  ) {
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for an epoch. */
  protected abstract lrAt(epoch: number): number;

  step(): void {
    this.epoch++;
    this.optimizer.lr = this.lrAt(this.epoch);
  }

  get lastLr(): number {
    return this.optimizer.lr;
  }
}

/** StepLR: lr · gamma^⌊epoch / stepSize⌋. */
export class StepLR extends EpochSchedule {
  constructor(
    optimizer: Optimizer,
    private readonly stepSize: number,
    private readonly gamma = 0.1,
  ) {
    super(optimizer);
  }
  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** ExponentialLR: lr · gamma^epoch. */
export class ExponentialLR extends EpochSchedule {
  constructor(
    optimizer: Optimizer,
    private readonly gamma: number,
  ) {
    super(optimizer);
  }
  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** epoch;
  }
}

/** CosineAnnealingLR: etaMin + (lr − etaMin)·(1 + cos(π·epoch / tMax)) / 2. */
export class CosineAnnealingLR extends EpochSchedule {
  constructor(
    optimizer: Optimizer,
    private readonly tMax: number,
    private readonly etaMin = 0,
  ) {
    super(optimizer);
  }
  protected lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** ReduceLROnPlateau ('min' mode, relative threshold): multiplies lr by `factor` after `patience` epochs without improvement. */
export class ReduceLROnPlateau implements Schedule {
  private best = Number.POSITIVE_INFINITY;
  private bad = 0;
  private cooldownLeft = 0;

  constructor(
    private readonly optimizer: Optimizer,
    private readonly options: {
      factor?: number;
      patience?: number;
      threshold?: number;
      minLr?: number;
      cooldown?: number;
    } = {},
  ) {}

  step(metric?: number): void {
    if (metric === undefined || Number.isNaN(metric))
      throw new ValueError('ReduceLROnPlateau.step: needs the monitored metric');
    const { factor = 0.1, patience = 10, threshold = 1e-4, minLr = 0, cooldown = 0 } = this.options;
    if (metric < this.best * (1 - threshold)) {
      this.best = metric;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.bad = 0;
    }
    if (this.bad > patience) {
      this.optimizer.lr = Math.max(this.optimizer.lr * factor, minLr);
      this.cooldownLeft = cooldown;
      this.bad = 0;
    }
  }

  get lastLr(): number {
    return this.optimizer.lr;
  }
}
