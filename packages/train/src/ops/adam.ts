import type { AdamAttrs } from '@recur/tensor';
import { add, div, maximum, mul, runKernelMulti, sqrt, sub, type Tensor } from '@recur/tensor';

/*
 * The Adam / AdamW update op. Its kernels' signatures are backend-api's `fused/adam.ts` (no
 * gradient: it is an optimizer step). Here: the dispatch to the backend's one-pass kernels, and
 * the composed fallback written with tensor ops (AMSGrad, and backends without the kernels).
 */

/** A parameter's optimizer buffers (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`), absent before the first step. */
export type AdamSlots = Partial<Record<'exp_avg' | 'exp_avg_sq' | 'max_exp_avg_sq', Tensor>>;

/** One step's hyperparameters: the kernel's (AdamAttrs, ε already in PyTorch's bias-corrected form) and AMSGrad. */
export interface AdamHyper extends AdamAttrs {
  /** AMSGrad: keep the maximum of past second moments (never fused). */
  amsgrad: boolean;
}

/** A parameter's new value and buffers. */
export interface AdamUpdate {
  /** The parameter's new value. */
  value: Tensor;
  /** Its new buffers. */
  slots: AdamSlots;
}

/** Whether the one-pass kernels apply (they have no AMSGrad and take float tensors of one dtype). */
function fusable(p: Tensor, g: Tensor, h: AdamHyper): boolean {
  return !h.amsgrad && p.dtype === g.dtype && (p.dtype === 'float32' || p.dtype === 'float64');
}

const kernelAttrs = (h: AdamHyper): AdamAttrs & Record<string, unknown> => ({
  lr: h.lr,
  beta1: h.beta1,
  beta2: h.beta2,
  eps: h.eps,
  weightDecay: h.weightDecay,
  decoupled: h.decoupled,
  step: h.step,
});

/**
 * Every parameter in one call through the backend's `adamSteps` (one dispatch a step), or null
 * when they do not share a backend that has it (the caller then updates them one by one).
 */
export function adamUpdateAll(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  slots: readonly AdamSlots[],
  h: AdamHyper,
): AdamUpdate[] | null {
  const backend = params[0].backend;
  const first = !slots[0].exp_avg;
  if (
    !backend.fused?.adamSteps ||
    params.some((p, i) => p.backend !== backend || !fusable(p, grads[i], h) || !slots[i].exp_avg !== first)
  ) {
    return null;
  }
  const n = params.length;
  const moments = first ? [] : [...slots.map((s) => s.exp_avg as Tensor), ...slots.map((s) => s.exp_avg_sq as Tensor)];
  const attrs = kernelAttrs(h);
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

/** One parameter: the backend's `adamStep` where it has one (one pass, three arrays), else tensor ops. */
export function adamUpdate(p: Tensor, g: Tensor, slots: AdamSlots, h: AdamHyper): AdamUpdate {
  if (p.backend.fused?.adamStep && fusable(p, g, h)) {
    const inputs = [p, g, ...(slots.exp_avg ? [slots.exp_avg, slots.exp_avg_sq as Tensor] : [])];
    const attrs = kernelAttrs(h);
    const [value, expAvg, expAvgSq] = runKernelMulti('adamStep', inputs, attrs, (backend, param, grad, m, v) => {
      const r = backend.fused?.adamStep?.(param, grad, m, v, attrs);
      if (!r) throw new Error(`Adam: backend ${backend.name} lost its adamStep kernel`);
      return [r.param, r.expAvg, r.expAvgSq];
    });
    return { value, slots: { exp_avg: expAvg, exp_avg_sq: expAvgSq } };
  }
  return composedAdam(p, g, slots, h);
}

/** torch.optim.Adam's rule (AdamW's with `decoupled`) as tensor ops: the fallback, AMSGrad included. */
export function composedAdam(p: Tensor, g: Tensor, slots: AdamSlots, h: AdamHyper): AdamUpdate {
  let param = p;
  let grad = g;
  if (h.weightDecay) {
    if (h.decoupled) param = mul(p, 1 - h.lr * h.weightDecay);
    else grad = add(g, mul(p, h.weightDecay));
  }
  const m = slots.exp_avg ? add(mul(slots.exp_avg, h.beta1), mul(grad, 1 - h.beta1)) : mul(grad, 1 - h.beta1);
  const g2 = mul(grad, grad);
  const v = slots.exp_avg_sq ? add(mul(slots.exp_avg_sq, h.beta2), mul(g2, 1 - h.beta2)) : mul(g2, 1 - h.beta2);
  const next: AdamSlots = { exp_avg: m, exp_avg_sq: v };
  let second = v;
  if (h.amsgrad) {
    second = slots.max_exp_avg_sq ? maximum(slots.max_exp_avg_sq, v) : v;
    next.max_exp_avg_sq = second;
  }
  const bias1 = 1 - h.beta1 ** h.step;
  const bias2 = 1 - h.beta2 ** h.step;
  // PyTorch: denom = sqrt(v) / sqrt(bias2) + eps; p -= (lr / bias1) · m / denom.
  const denom = add(div(sqrt(second), Math.sqrt(bias2)), h.eps);
  return { value: sub(param, mul(div(m, denom), h.lr / bias1)), slots: next };
}
