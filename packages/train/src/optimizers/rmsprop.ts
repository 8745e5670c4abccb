import type { Parameter } from '@recur/layers';
import { add, div, mul, sqrt, sub, type Tensor } from '@recur/tensor';
import { type ClipOptions, Optimizer, type ParamUpdate, type Slots } from './optimizer';

/** torch.optim.RMSprop's arguments, camelCased, with Keras' clipping. */
export interface RMSpropOptions extends ClipOptions {
  /** Learning rate (PyTorch's default for this optimizer). */
  lr?: number;
  /** The squared-gradient average's decay (PyTorch's alpha, Keras' rho; default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalise by the gradient's estimated variance (default false). */
  centered?: boolean;
  /**
   * Where ε goes: false (default) divides by √v + ε, as PyTorch; true by √(v + ε), as
   * TensorFlow.js and Keras 3 do.
   */
  epsilonInsideSqrt?: boolean;
}

/** torch.optim.RMSprop: running mean of squared gradients (centered: minus the squared mean), momentum. */
export class RMSprop extends Optimizer {
  /** The squared-gradient average's decay (PyTorch's alpha, Keras' rho; default 0.99). */
  alpha: number;
  /** Added to the denominator for stability. */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalise by the gradient's estimated variance (default false). */
  centered: boolean;
  /** Add ε inside the square root (TensorFlow.js) instead of after it (PyTorch). */
  epsilonInsideSqrt: boolean;

  constructor(params: Parameter[], options: RMSpropOptions = {}) {
    super(params, options.lr ?? 1e-2, options);
    this.alpha = options.alpha ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.momentum = options.momentum ?? 0;
    this.centered = options.centered ?? false;
    this.epsilonInsideSqrt = options.epsilonInsideSqrt ?? false;
  }

  get name(): string {
    return 'RMSprop';
  }

  protected hyper(): Record<string, number | boolean> {
    return {
      alpha: this.alpha,
      eps: this.eps,
      weightDecay: this.weightDecay,
      momentum: this.momentum,
      centered: this.centered,
      epsilonInsideSqrt: this.epsilonInsideSqrt,
    };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.alpha = h.alpha as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
    this.momentum = h.momentum as number;
    this.centered = h.centered as boolean;
    this.epsilonInsideSqrt = (h.epsilonInsideSqrt as boolean | undefined) ?? false;
  }

  protected update(p: Tensor, g: Tensor, slots: Slots): ParamUpdate {
    const grad = this.weightDecay ? add(g, mul(p, this.weightDecay)) : g;
    const g2 = mul(grad, grad);
    const sq = slots.square_avg
      ? add(mul(slots.square_avg, this.alpha), mul(g2, 1 - this.alpha))
      : mul(g2, 1 - this.alpha);
    const next: Slots = { square_avg: sq };
    let avg: Tensor;
    if (this.centered) {
      const ga = slots.grad_avg
        ? add(mul(slots.grad_avg, this.alpha), mul(grad, 1 - this.alpha))
        : mul(grad, 1 - this.alpha);
      next.grad_avg = ga;
      const v = sub(sq, mul(ga, ga));
      avg = this.epsilonInsideSqrt ? sqrt(add(v, this.eps)) : add(sqrt(v), this.eps);
    } else {
      avg = this.epsilonInsideSqrt ? sqrt(add(sq, this.eps)) : add(sqrt(sq), this.eps);
    }
    if (this.momentum > 0) {
      const scaled = div(grad, avg);
      const buf = slots.momentum_buffer ? add(mul(slots.momentum_buffer, this.momentum), scaled) : scaled;
      next.momentum_buffer = buf;
      return { value: sub(p, mul(buf, this.lr)), slots: next };
    }
    return { value: sub(p, mul(div(grad, avg), this.lr)), slots: next };
  }
}
