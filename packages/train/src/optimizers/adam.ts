import type { Parameter } from '@recur/layers';
import { add, div, maximum, mul, runKernelMulti, sqrt, sub, type Tensor } from '@recur/tensor';
import { type ClipOptions, Optimizer, type Slots } from './optimizer';

export interface AdamOptions extends ClipOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
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
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
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

  protected hyper() {
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

  /** Whether the backend's one-pass kernel applies to this parameter (it has no AMSGrad). */
  private fusable(p: Tensor, g: Tensor): boolean {
    return !this.amsgrad && p.dtype === g.dtype && (p.dtype === 'float32' || p.dtype === 'float64');
  }

  /** All parameters through the backend's `adamSteps` in one call, when they share a backend that has it. */
  protected override updateAll(params: readonly Tensor[], grads: readonly Tensor[], slots: readonly Slots[]) {
    const backend = params[0].backend;
    const first = !slots[0].exp_avg;
    if (
      !backend.fused?.adamSteps ||
      params.some((p, i) => p.backend !== backend || !this.fusable(p, grads[i]) || !slots[i].exp_avg !== first)
    ) {
      return null;
    }
    const n = params.length;
    const moments = first ? [] : [...slots.map((s) => s.exp_avg), ...slots.map((s) => s.exp_avg_sq)];
    const attrs = this.kernelAttrs();
    const out = runKernelMulti('adamSteps', [...params, ...grads, ...moments], attrs, (b, ...storage) => {
      const r = b.fused?.adamSteps?.(
        storage.slice(0, n),
        storage.slice(n, 2 * n),
        first ? undefined : storage.slice(2 * n, 3 * n),
        first ? undefined : storage.slice(3 * n),
        attrs,
      );
      if (!r) throw new Error(`Adam: backend ${b.name} lost its adamSteps kernel`);
      return r.flatMap((u) => [u.param, u.expAvg, u.expAvgSq]);
    });
    return params.map((_, i) => ({
      value: out[3 * i],
      slots: { exp_avg: out[3 * i + 1], exp_avg_sq: out[3 * i + 2] },
    }));
  }

  private kernelAttrs() {
    return {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.stepEps(),
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      step: this.stepCount,
    };
  }

  protected update(p: Tensor, g: Tensor, slots: Slots) {
    if (p.backend.fused?.adamStep && this.fusable(p, g)) return this.fusedUpdate(p, g, slots);
    let param = p;
    let grad = g;
    if (this.weightDecay) {
      if (this.decoupled) param = mul(p, 1 - this.lr * this.weightDecay);
      else grad = add(g, mul(p, this.weightDecay));
    }
    const t = this.stepCount;
    const m = slots.exp_avg
      ? add(mul(slots.exp_avg, this.beta1), mul(grad, 1 - this.beta1))
      : mul(grad, 1 - this.beta1);
    const g2 = mul(grad, grad);
    const v = slots.exp_avg_sq
      ? add(mul(slots.exp_avg_sq, this.beta2), mul(g2, 1 - this.beta2))
      : mul(g2, 1 - this.beta2);
    const next: Slots = { exp_avg: m, exp_avg_sq: v };
    let second = v;
    if (this.amsgrad) {
      second = slots.max_exp_avg_sq ? maximum(slots.max_exp_avg_sq, v) : v;
      next.max_exp_avg_sq = second;
    }
    const bias1 = 1 - this.beta1 ** t;
    const bias2 = 1 - this.beta2 ** t;
    // PyTorch: denom = sqrt(v) / sqrt(bias2) + eps; p -= (lr / bias1) · m / denom.
    const denom = add(div(sqrt(second), Math.sqrt(bias2)), this.stepEps());
    return { value: sub(param, mul(div(m, denom), this.lr / bias1)), slots: next };
  }

  /** The backend's one-pass kernel (same rule): one array per result instead of a dozen temporaries. */
  private fusedUpdate(p: Tensor, g: Tensor, slots: Slots) {
    const inputs = [p, g, ...(slots.exp_avg ? [slots.exp_avg, slots.exp_avg_sq] : [])];
    const attrs = this.kernelAttrs();
    const [value, expAvg, expAvgSq] = runKernelMulti('adamStep', inputs, attrs, (backend, param, grad, m, v) => {
      const r = backend.fused?.adamStep?.(param, grad, m, v, attrs);
      if (!r) throw new Error(`Adam: backend ${backend.name} lost its adamStep kernel`);
      return [r.param, r.expAvg, r.expAvgSq];
    });
    return { value, slots: { exp_avg: expAvg, exp_avg_sq: expAvgSq } };
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
