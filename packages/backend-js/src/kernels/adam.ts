import { type AdamAttrs, allocTypedArray, type BackendTensor, type TypedArray } from '@recur/backend-api';

/**
 * One Adam / AdamW step for one parameter in a single pass over its elements (the composed
 * version makes about a dozen passes and as many arrays). Same formula as torch.optim.Adam:
 * m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², p −= (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε).
 */
export function adamStep(
  param: BackendTensor,
  grad: BackendTensor,
  expAvg: BackendTensor | undefined,
  expAvgSq: BackendTensor | undefined,
  a: AdamAttrs,
): { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor } {
  const data = (t: BackendTensor) => (t as unknown as { data: TypedArray }).data;
  const p = data(param);
  const g = data(grad);
  const m0 = expAvg ? data(expAvg) : null;
  const v0 = expAvgSq ? data(expAvgSq) : null;
  const n = p.length;
  const p1 = allocTypedArray(param.dtype, n);
  const m1 = allocTypedArray(param.dtype, n);
  const v1 = allocTypedArray(param.dtype, n);
  const { beta1, beta2, eps, weightDecay } = a;
  const decay = a.decoupled ? 1 - a.lr * weightDecay : 1;
  const l2 = a.decoupled ? 0 : weightDecay;
  const stepSize = a.lr / (1 - beta1 ** a.step);
  const bias2Sqrt = Math.sqrt(1 - beta2 ** a.step);
  for (let i = 0; i < n; i++) {
    const pi = p[i] * decay;
    const gi = g[i] + l2 * p[i];
    const m = (m0 ? beta1 * m0[i] : 0) + (1 - beta1) * gi;
    const v = (v0 ? beta2 * v0[i] : 0) + (1 - beta2) * gi * gi;
    m1[i] = m;
    v1[i] = v;
    p1[i] = pi - (stepSize * m) / (Math.sqrt(v) / bias2Sqrt + eps);
  }
  const like = (values: TypedArray) => ({ data: values, shape: [...param.shape], dtype: param.dtype });
  return { param: like(p1), expAvg: like(m1), expAvgSq: like(v1) };
}
