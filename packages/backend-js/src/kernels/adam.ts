import { type AdamAttrs, allocTypedArray, type BackendTensor, type TypedArray } from '@recur/backend-api';

/**
 * Adam / AdamW updates in a single pass over each parameter's elements (the composed version
 * makes about a dozen passes and as many arrays). Same formula as torch.optim.Adam:
 * m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², p −= (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε).
 * Arithmetic in float64, stored in the parameter's dtype.
 */

type Result = { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor };

const data = (t: BackendTensor) => (t as unknown as { data: TypedArray }).data;

/** The per-step constants of the update. */
function constants(a: AdamAttrs) {
  return {
    beta1: a.beta1,
    beta2: a.beta2,
    eps: a.eps,
    decay: a.decoupled ? 1 - a.lr * a.weightDecay : 1,
    l2: a.decoupled ? 0 : a.weightDecay,
    stepSize: a.lr / (1 - a.beta1 ** a.step),
    bias2Sqrt: Math.sqrt(1 - a.beta2 ** a.step),
  };
}
type Constants = ReturnType<typeof constants>;

// One loop per array type, so each stays monomorphic (a loop over the TypedArray union runs
// several times slower: every element access dispatches on the array's kind).
function updateF32(
  p: Float32Array,
  g: Float32Array,
  m0: Float32Array | null,
  v0: Float32Array | null,
  p1: Float32Array,
  m1: Float32Array,
  v1: Float32Array,
  k: Constants,
): void {
  const { beta1, beta2, eps, decay, l2, stepSize, bias2Sqrt } = k;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + l2 * p[i];
    const m = (m0 ? beta1 * m0[i] : 0) + (1 - beta1) * gi;
    const v = (v0 ? beta2 * v0[i] : 0) + (1 - beta2) * gi * gi;
    m1[i] = m;
    v1[i] = v;
    p1[i] = p[i] * decay - (stepSize * m) / (Math.sqrt(v) / bias2Sqrt + eps);
  }
}

function updateF64(
  p: Float64Array,
  g: Float64Array,
  m0: Float64Array | null,
  v0: Float64Array | null,
  p1: Float64Array,
  m1: Float64Array,
  v1: Float64Array,
  k: Constants,
): void {
  const { beta1, beta2, eps, decay, l2, stepSize, bias2Sqrt } = k;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + l2 * p[i];
    const m = (m0 ? beta1 * m0[i] : 0) + (1 - beta1) * gi;
    const v = (v0 ? beta2 * v0[i] : 0) + (1 - beta2) * gi * gi;
    m1[i] = m;
    v1[i] = v;
    p1[i] = p[i] * decay - (stepSize * m) / (Math.sqrt(v) / bias2Sqrt + eps);
  }
}

function update(
  param: BackendTensor,
  grad: BackendTensor,
  m: BackendTensor | undefined,
  v: BackendTensor | undefined,
  k: Constants,
): Result {
  const n = data(param).length;
  const [p1, m1, v1] = [0, 1, 2].map(() => allocTypedArray(param.dtype, n));
  const [p0, g0, m0, v0] = [data(param), data(grad), m ? data(m) : null, v ? data(v) : null];
  if (param.dtype === 'float64') {
    const f = (a: TypedArray | null) => a as Float64Array;
    updateF64(f(p0), f(g0), m0 && f(m0), v0 && f(v0), f(p1), f(m1), f(v1), k);
  } else {
    const f = (a: TypedArray | null) => a as Float32Array;
    updateF32(f(p0), f(g0), m0 && f(m0), v0 && f(v0), f(p1), f(m1), f(v1), k);
  }
  const like = (values: TypedArray) => ({ data: values, shape: [...param.shape], dtype: param.dtype });
  return { param: like(p1), expAvg: like(m1), expAvgSq: like(v1) };
}

/** One parameter's update. */
export function adamStep(
  param: BackendTensor,
  grad: BackendTensor,
  expAvg: BackendTensor | undefined,
  expAvgSq: BackendTensor | undefined,
  a: AdamAttrs,
): Result {
  return update(param, grad, expAvg, expAvgSq, constants(a));
}

/** Every parameter's update in one call. */
export function adamSteps(
  params: readonly BackendTensor[],
  grads: readonly BackendTensor[],
  expAvgs: readonly BackendTensor[] | undefined,
  expAvgSqs: readonly BackendTensor[] | undefined,
  a: AdamAttrs,
): Result[] {
  const k = constants(a);
  return params.map((p, i) => update(p, grads[i], expAvgs?.[i], expAvgSqs?.[i], k));
}
