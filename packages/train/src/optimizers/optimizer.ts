import type { Parameter } from '@recur/layers';
import {
  cast,
  clone,
  formatShape,
  keep,
  maximum,
  minimum,
  mul,
  RecurError,
  ShapeError,
  stack,
  sum,
  type Tensor,
  type TypedArray,
  tidy,
  ValueError,
} from '@recur/tensor';
import { type Reads, readAsync, readSync } from '../reads';

/** Keras-style gradient clipping applied by the optimizer before its update. */
export interface ClipOptions {
  /** Keras' clipnorm: each gradient tensor is scaled down to this L2 norm if larger. */
  clipnorm?: number;
  /** Keras' clipvalue: every gradient element is clamped to [-clipvalue, clipvalue]. */
  clipvalue?: number;
}

/** Serialisable optimizer state: hyperparameters, the step count, and per-parameter buffers. */
export interface OptimizerState {
  /** The optimizer's class ('Adam'); loading into another kind is refused. */
  name: string;
  /** Steps taken. */
  step: number;
  /** Hyperparameters, lr included. */
  hyper: Record<string, number | boolean>;
  /** slots[i][name] is a buffer of parameter i (e.g. exp_avg). */
  slots: Record<string, Tensor>[];
}

/** One parameter's optimizer buffers by name (PyTorch's state names: exp_avg, momentum_buffer, ...). */
export type Slots = Record<string, Tensor>;

/** What one parameter's update rule returns. */
export interface ParamUpdate {
  /** The parameter's new value. */
  value: Tensor;
  /** Its new buffers. */
  slots: Slots;
}

/**
 * An optimizer over a fixed list of parameters, updating them from gradients given in the same
 * order. Each subclass writes PyTorch's update rule for one parameter, returning the new value and
 * its new buffers; the base class handles clipping, non-finite gradients, buffers and state.
 */
export abstract class Optimizer {
  /** The parameters it updates, in the order gradients are given. */
  readonly params: Parameter[];
  /** Learning rate; schedules change it between steps. */
  lr: number;
  /** Steps taken (PyTorch's per-parameter `step`, shared here). */
  stepCount = 0;
  /** Each parameter's buffers. */
  protected slots: Slots[];
  /** Keras-style clipping applied before each update. */
  protected readonly clip: ClipOptions;

  constructor(params: Parameter[], lr: number, clip: ClipOptions = {}) {
    if (params.length === 0) throw new RecurError(`${new.target.name}: no parameters to optimise`);
    if (!(lr >= 0)) throw new ValueError(`${new.target.name}: learning rate must be ≥ 0, got ${lr}`);
    this.params = params;
    this.lr = lr;
    this.clip = clip;
    this.slots = params.map(() => ({}));
  }

  /** The optimizer's class name, as PyTorch and checkpoints spell it ('Adam'). */
  abstract get name(): string;
  /** Hyperparameters other than lr, for state(). */
  protected abstract hyper(): Record<string, number | boolean>;
  /** Sets the hyperparameters other than lr from state(). */
  protected abstract setHyper(h: Record<string, number | boolean>): void;
  /** PyTorch's rule for one parameter at step `this.stepCount` (already incremented). */
  protected abstract update(param: Tensor, grad: Tensor, slots: Slots): ParamUpdate;

  /**
   * Every parameter's update at once, where a subclass has a kernel for that (Adam); null to
   * update them one by one with `update`.
   */
  protected updateAll(
    _params: readonly Tensor[],
    _grads: readonly Tensor[],
    _slots: readonly Slots[],
  ): ParamUpdate[] | null {
    return null;
  }

  /**
   * Applies one update. A gradient with NaN or Inf is an error naming it (nothing changes), or,
   * with `skipNonFinite`, a skipped step (returns false). Reads its checks synchronously; a
   * training loop calls `stepAsync`, which works on every backend.
   */
  step(grads: readonly Tensor[], options: { skipNonFinite?: boolean } = {}): boolean {
    return readSync(this.plan(grads, options));
  }

  /** `step`, reading what it checks (finite gradients, norms to clip) asynchronously: any backend. */
  stepAsync(grads: readonly Tensor[], options: { skipNonFinite?: boolean } = {}): Promise<boolean> {
    return readAsync(this.plan(grads, options));
  }

  /** The update, yielding each tensor whose values it needs (see Reads). */
  private *plan(grads: readonly Tensor[], options: { skipNonFinite?: boolean }): Reads<boolean> {
    if (grads.length !== this.params.length) {
      throw new RecurError(`${this.name}.step: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    grads.forEach((g, i) => {
      if (g.shape.join() !== this.params[i].shape.join()) {
        throw new ShapeError(
          `${this.name}.step: gradient ${i} is ${formatShape(g.shape)}, its parameter is ${formatShape(this.params[i].shape)}`,
        );
      }
    });
    // One read for every gradient: Σ g·0 is 0 when g is finite, NaN when it holds NaN or Inf.
    const probe = tidy(() => stack(grads.map((g) => cast(sum(mul(g, 0)), 'float32'))));
    let finite: TypedArray;
    try {
      finite = yield probe;
    } finally {
      probe.dispose();
    }
    const bad = Array.from(finite).findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      if (options.skipNonFinite) return false;
      throw new ShapeError(
        `${this.name}.step: gradient ${bad} ${formatShape(grads[bad].shape)} has NaN or Inf; the step was not applied`,
      );
    }
    const clipped = yield* this.clipGrads(grads);
    this.stepCount++;
    const results = tidy(() => {
      const values = this.params.map((p) => p.value);
      return (
        this.updateAll(values, clipped, this.slots) ?? clipped.map((g, i) => this.update(values[i], g, this.slots[i]))
      );
    });
    for (const g of clipped) if (!grads.includes(g)) g.dispose();
    results.forEach((r, i) => {
      const old = this.slots[i];
      for (const [k, t] of Object.entries(r.slots)) {
        keep(t);
        if (old[k] && old[k] !== t) old[k].dispose();
      }
      this.slots[i] = r.slots;
      this.params[i].assign(r.value);
    });
    return true;
  }

  /** Keras' clipvalue and clipnorm (per gradient), reading each norm it clips by. */
  private *clipGrads(grads: readonly Tensor[]): Reads<Tensor[]> {
    let out = [...grads];
    const { clipvalue, clipnorm } = this.clip;
    if (clipvalue !== undefined) out = out.map((g) => keep(tidy(() => maximum(minimum(g, clipvalue), -clipvalue))));
    if (clipnorm !== undefined) {
      const next: Tensor[] = [];
      for (const g of out) {
        const squares = tidy(() => sum(mul(g, g)));
        let n: number;
        try {
          n = Math.sqrt((yield squares)[0]);
        } finally {
          squares.dispose();
        }
        if (n > clipnorm) {
          next.push(keep(tidy(() => mul(g, clipnorm / n))));
          if (!grads.includes(g)) g.dispose();
        } else next.push(g);
      }
      out = next;
    }
    return out;
  }

  /** A copy of the state (hyperparameters, step, buffers) that `loadState` accepts. */
  state(): OptimizerState {
    return {
      name: this.name,
      step: this.stepCount,
      hyper: { ...this.hyper(), lr: this.lr },
      slots: this.slots.map((s) => Object.fromEntries(Object.entries(s).map(([k, t]) => [k, clone(t)]))),
    };
  }

  /** Restores a state from `state()` (or a checkpoint); shapes and the optimizer kind are checked first. */
  loadState(state: OptimizerState): void {
    if (state.name !== this.name) throw new RecurError(`${this.name}.loadState: the state is for ${state.name}`);
    if (state.slots.length !== this.params.length) {
      throw new RecurError(
        `${this.name}.loadState: the state has ${state.slots.length} parameters, the optimizer ${this.params.length}`,
      );
    }
    state.slots.forEach((s, i) => {
      for (const [k, t] of Object.entries(s)) {
        if (t.shape.join() !== this.params[i].shape.join()) {
          throw new ShapeError(
            `${this.name}.loadState: buffer ${k} of parameter ${i} is ${formatShape(t.shape)}, the parameter ${formatShape(this.params[i].shape)}`,
          );
        }
      }
    });
    this.disposeSlots();
    this.stepCount = state.step;
    const { lr, ...rest } = state.hyper;
    this.lr = lr as number;
    this.setHyper(rest);
    this.slots = state.slots.map((s, i) =>
      Object.fromEntries(Object.entries(s).map(([k, t]) => [k, keep(cloneAs(t, this.params[i].value))])),
    );
  }

  /** Frees every buffer (they start again from zero). */
  protected disposeSlots(): void {
    for (const s of this.slots) for (const t of Object.values(s)) t.dispose();
    this.slots = this.params.map(() => ({}));
  }

  /** Frees the optimizer's buffers; the parameters are the model's. */
  dispose(): void {
    this.disposeSlots();
  }
}

function cloneAs(t: Tensor, like: Tensor): Tensor {
  return t.dtype === like.dtype ? clone(t) : cast(t, like.dtype);
}
