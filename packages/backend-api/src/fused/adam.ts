import type { BackendTensor } from '../backend';

/** Hyperparameters of one Adam step; `step` counts from 1 (bias correction). */
export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly instead of adding weightDecay·param to the gradient. */
  decoupled: boolean;
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
  ): { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor };
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
  ): { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor }[];
}
