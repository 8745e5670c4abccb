import type { Parameter } from '@recur/layers';
import { add, div, mul, sqrt, sub, type Tensor } from '@recur/tensor';
import { type ClipOptions, Optimizer, type ParamUpdate, type Slots } from './optimizer';

/** torch.optim.Adagrad's arguments, camelCased, with Keras' clipping. */
export interface AdagradOptions extends ClipOptions {
  /** Learning rate (PyTorch's default for this optimizer). */
  lr?: number;
  /** Learning-rate decay per step (default 0). */
  lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** The accumulator's starting value (default 0; Keras uses 0.1). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for stability. */
  eps?: number;
}

/** torch.optim.Adagrad: accumulated squared gradients, learning rate lr / (1 + (t − 1)·lrDecay). */
export class Adagrad extends Optimizer {
  /** Learning-rate decay per step (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** The accumulator's starting value (default 0; Keras uses 0.1). */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability. */
  eps: number;

  constructor(params: Parameter[], options: AdagradOptions = {}) {
    super(params, options.lr ?? 1e-2, options);
    this.lrDecay = options.lrDecay ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0;
    this.eps = options.eps ?? 1e-10;
  }

  get name(): string {
    return 'Adagrad';
  }

  protected hyper(): Record<string, number | boolean> {
    return {
      lrDecay: this.lrDecay,
      weightDecay: this.weightDecay,
      initialAccumulatorValue: this.initialAccumulatorValue,
      eps: this.eps,
    };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.lrDecay = h.lrDecay as number;
    this.weightDecay = h.weightDecay as number;
    this.initialAccumulatorValue = h.initialAccumulatorValue as number;
    this.eps = h.eps as number;
  }

  protected update(p: Tensor, g: Tensor, slots: Slots): ParamUpdate {
    const grad = this.weightDecay ? add(g, mul(p, this.weightDecay)) : g;
    const prev = slots.sum ?? add(mul(p, 0), this.initialAccumulatorValue);
    const acc = add(prev, mul(grad, grad));
    const clr = this.lr / (1 + (this.stepCount - 1) * this.lrDecay);
    return { value: sub(p, mul(div(grad, add(sqrt(acc), this.eps)), clr)), slots: { sum: acc } };
  }
}
