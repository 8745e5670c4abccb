import type { Parameter } from '@recur/layers';
import type { Tensor } from '@recur/tensor';
import { type AdamHyper, adamUpdate, adamUpdateAll } from '../ops/adam';
import { type ClipOptions, Optimizer, type ParamUpdate, type Slots } from './optimizer';

/** torch.optim.Adam's arguments, camelCased, with Keras' clipping. */
export interface AdamOptions extends ClipOptions {
  /** Learning rate (PyTorch's default for this optimizer). */
  lr?: number;
  /** The moments' decay rates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator for stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad; default false). */
  amsgrad?: boolean;
  /**
   * 'biasCorrected' (default): p −= lr · m̂ / (√v̂ + ε), as PyTorch and TensorFlow.js. 'raw': Keras 3's
   * p −= lr · m̂ / (√v̂ + ε / √(1 − β₂ᵗ)), i.e. ε added to √v before the bias correction.
   */
  epsilonForm?: 'biasCorrected' | 'raw';
}

/**
 * torch.optim.Adam (L2 weight decay added to the gradient), with bias correction and optional AMSGrad.
 *
 * @example
 * ```ts
 * import { valueAndGradsOf } from '@recur/autograd';
 * import { Linear } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * import { Adam, mse } from '@recur/train';
 * const model = new Linear(3, 1);
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999], clipnorm: 1 });
 * const [x, y] = [randomNormal([16, 3]), randomNormal([16, 1])];
 * const params = model.parameters().map((p) => p.value);
 * const { grads } = valueAndGradsOf(() => mse(model.forward(x), y), params);
 * optimizer.step(grads); // one update of every parameter, in parameters() order
 * console.log(optimizer.stepCount); // 1
 * ```
 */
export class Adam extends Optimizer {
  /** The first moment's decay. */
  beta1: number;
  /** The second moment's decay. */
  beta2: number;
  /** Added to the denominator for stability. */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad; default false). */
  amsgrad: boolean;
  /** Where ε enters the update (see AdamOptions). */
  epsilonForm: 'biasCorrected' | 'raw';
  /** AdamW applies decay to the weights directly instead of through the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Parameter[], options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, options.lr ?? 1e-3, options);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? defaultWeightDecay;
    this.amsgrad = options.amsgrad ?? false;
    this.epsilonForm = options.epsilonForm ?? 'biasCorrected';
  }

  /** ε for this step, in PyTorch's bias-corrected form. */
  protected stepEps(): number {
    return this.epsilonForm === 'raw' ? this.eps / Math.sqrt(1 - this.beta2 ** this.stepCount) : this.eps;
  }

  get name(): string {
    return 'Adam';
  }

  protected hyper(): Record<string, number | boolean> {
    return {
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      amsgrad: this.amsgrad,
      epsilonRaw: this.epsilonForm === 'raw',
    };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.beta1 = h.beta1 as number;
    this.beta2 = h.beta2 as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
    this.amsgrad = h.amsgrad as boolean;
    this.epsilonForm = h.epsilonRaw ? 'raw' : 'biasCorrected';
  }

  /** This step's hyperparameters for the update op (`ops/adam.ts`). */
  private stepHyper(): AdamHyper {
    return {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.stepEps(),
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      amsgrad: this.amsgrad,
      step: this.stepCount,
    };
  }

  /** All parameters through the backend's `adamSteps` in one call, when they share a backend that has it. */
  protected override updateAll(
    params: readonly Tensor[],
    grads: readonly Tensor[],
    slots: readonly Slots[],
  ): ParamUpdate[] | null {
    return adamUpdateAll(params, grads, slots, this.stepHyper()) as { value: Tensor; slots: Slots }[] | null;
  }

  protected update(p: Tensor, g: Tensor, slots: Slots): ParamUpdate {
    return adamUpdate(p, g, slots, this.stepHyper()) as { value: Tensor; slots: Slots };
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01) applied to the weights before the Adam step. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Parameter[], options: AdamOptions = {}) {
    super(params, options, 0.01);
  }

  override get name(): string {
    return 'AdamW';
  }
}
