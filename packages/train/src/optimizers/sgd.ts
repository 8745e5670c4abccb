import type { Parameter } from '@recur/layers';
import { add, mul, RecurError, sub, type Tensor } from '@recur/tensor';
import { type ClipOptions, Optimizer, type ParamUpdate, type Slots } from './optimizer';

/** torch.optim.SGD's arguments, camelCased, with Keras' clipping. */
export interface SGDOptions extends ClipOptions {
  /** Learning rate (PyTorch's default for this optimizer). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/**
 * torch.optim.SGD: weight decay, momentum (the first step's buffer is the gradient), dampening, Nesterov.
 *
 * @example
 * ```ts
 * import { Parameter } from '@recur/layers';
 * import { tensor } from '@recur/tensor';
 * import { SGD } from '@recur/train';
 * const w = new Parameter(tensor([1, 2]));
 * const sgd = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * sgd.step([tensor([1, 1])]);
 * sgd.step([tensor([1, 1])]);
 * console.log(Array.from(w.value.dataSync(), (v) => +v.toFixed(2))); // [0.71, 1.71]
 * ```
 */
export class SGD extends Optimizer {
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false). */
  nesterov: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;

  constructor(params: Parameter[], options: SGDOptions = {}) {
    super(params, options.lr ?? 1e-3, options);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RecurError('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  get name(): string {
    return 'SGD';
  }

  protected hyper(): Record<string, number | boolean> {
    return {
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.momentum = h.momentum as number;
    this.dampening = h.dampening as number;
    this.nesterov = h.nesterov as boolean;
    this.weightDecay = h.weightDecay as number;
  }

  protected update(p: Tensor, g: Tensor, slots: Slots): ParamUpdate {
    let d = this.weightDecay ? add(g, mul(p, this.weightDecay)) : g;
    const next: Slots = {};
    if (this.momentum) {
      const buf = slots.momentum_buffer
        ? add(mul(slots.momentum_buffer, this.momentum), mul(d, 1 - this.dampening))
        : mul(d, 1);
      next.momentum_buffer = buf;
      d = this.nesterov ? add(d, mul(buf, this.momentum)) : buf;
    }
    return { value: sub(p, mul(d, this.lr)), slots: next };
  }
}
