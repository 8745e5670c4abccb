import type { BackendTensor } from '../backend';

/** Hyperparameters of one Adam step; `step` counts from 1 (bias correction). */
export interface AdamAttrs {
  /** The learning rate of this step. */
  lr: number;
  /** The first moment's decay (PyTorch's betas[0]). */
  beta1: number;
  /** The second moment's decay (PyTorch's betas[1]). */
  beta2: number;
  /** Added to the denominator's square root. */
  eps: number;
  /** L2 penalty (Adam) or decoupled decay (AdamW, with `decoupled`). */
  weightDecay: number;
  /** AdamW: decay the weights directly instead of adding weightDecay·param to the gradient. */
  decoupled: boolean;
  /** The step number, from 1: bias correction uses it. */
  step: number;
}

/**
 * Adam / AdamW updates in one pass (no gradient: an optimizer step). The op that calls them, with
 * the tensor-op fallback, is `@recur/train`'s `ops/adam.ts`.
 */
export interface AdamKernels {
  /**
   * One Adam / AdamW update of one parameter in one pass (torch.optim.Adam's rule, without AMSGrad):
   * the new parameter and moments. Absent moments are zero (the first step). Optimizers fall back
   * to tensor ops without it.
   */
  adamStep(
    param: BackendTensor,
    grad: BackendTensor,
    expAvg: BackendTensor | undefined,
    expAvgSq: BackendTensor | undefined,
    attrs: AdamAttrs,
  ): AdamStepResult;
  /**
   * `adamStep` over every parameter of an optimizer in one call (one dispatch a step, not one a
   * parameter). Moments are all absent (the first step) or all present.
   */
  adamSteps(
    params: readonly BackendTensor[],
    grads: readonly BackendTensor[],
    expAvgs: readonly BackendTensor[] | undefined,
    expAvgSqs: readonly BackendTensor[] | undefined,
    attrs: AdamAttrs,
  ): AdamStepResult[];
}

/** What one Adam update makes: the parameter's new value and its new moments. */
export interface AdamStepResult {
  /** The updated parameter. */
  param: BackendTensor;
  /** The new first moment (exp_avg). */
  expAvg: BackendTensor;
  /** The new second moment (exp_avg_sq). */
  expAvgSq: BackendTensor;
}
