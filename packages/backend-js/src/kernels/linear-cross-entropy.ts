import {
  allocTypedArray,
  type BackendTensor,
  type LinearCrossEntropyAttrs,
  type LinearCrossEntropyInputs,
  type TypedArray,
} from '@recur/backend-api';
import { gemm, type StridedMatrix } from './gemm';

/**
 * The fused Linear + softmax cross-entropy in TypeScript, for any float dtype (arithmetic in
 * float64): the reference for the SIMD kernel and the path for float64. The workspace is
 * d loss / d logits per row, [N, C] float64.
 */

const data = (t: BackendTensor) => (t as unknown as { data: TypedArray }).data;

interface Dims {
  N: number;
  K: number;
  C: number;
}

export function linearCrossEntropyDims(inputs: LinearCrossEntropyInputs, attrs: LinearCrossEntropyAttrs): Dims {
  const K = inputs.x.shape[inputs.x.shape.length - 1];
  const N = inputs.targets.shape.reduce((a, b) => a * b, 1);
  const C = attrs.kernelLayout === 'inOut' ? inputs.weight.shape[1] : inputs.weight.shape[0];
  return { N, K, C };
}

/** The weight as the B of x·B (K×C), through strides. */
function weightAsB(w: TypedArray, { K, C }: Dims, layout: LinearCrossEntropyAttrs['kernelLayout']): StridedMatrix {
  return layout === 'inOut'
    ? { data: w, offset: 0, rowStride: C, colStride: 1 }
    : { data: w, offset: 0, rowStride: 1, colStride: K };
}

export function linearCrossEntropyForward(
  inputs: LinearCrossEntropyInputs,
  attrs: LinearCrossEntropyAttrs,
): { loss: TypedArray; dLogits: Float64Array | null } {
  const dims = linearCrossEntropyDims(inputs, attrs);
  const { N, K, C } = dims;
  const z = new Float64Array(N * C);
  gemm(
    N,
    C,
    K,
    { data: data(inputs.x), offset: 0, rowStride: K, colStride: 1 },
    weightAsB(data(inputs.weight), dims, attrs.kernelLayout),
    z,
    0,
  );
  if (inputs.bias) {
    const b = data(inputs.bias);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) z[n * C + c] += b[c];
  }
  const y = data(inputs.targets);
  const eps = attrs.labelSmoothing;
  const loss = allocTypedArray(inputs.x.dtype, N);
  const save = attrs.saveForBackward ?? true;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const target = y[n];
    if (target === attrs.ignoreIndex) {
      if (save) z.fill(0, row, row + C);
      continue;
    }
    let m = Number.NEGATIVE_INFINITY;
    let sumZ = 0;
    for (let c = 0; c < C; c++) {
      m = Math.max(m, z[row + c]);
      sumZ += z[row + c];
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[row + c] - m);
    const lse = m + Math.log(s);
    loss[n] = (1 - eps) * (lse - z[row + target]) + eps * (lse - sumZ / C);
    if (!save) continue;
    for (let c = 0; c < C; c++) z[row + c] = Math.exp(z[row + c] - m) / s - eps / C;
    z[row + target] -= 1 - eps;
  }
  return { loss, dLogits: save ? z : null };
}

export function linearCrossEntropyBackwardTs(
  inputs: LinearCrossEntropyInputs,
  attrs: LinearCrossEntropyAttrs,
  dLogits: Float64Array,
  dLoss: TypedArray,
): { dx: TypedArray; dWeight: TypedArray; dBias?: TypedArray } {
  const dims = linearCrossEntropyDims(inputs, attrs);
  const { N, K, C } = dims;
  const dZ = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) dZ[n * C + c] = dLogits[n * C + c] * dLoss[n];
  const x = data(inputs.x);
  const w = data(inputs.weight);
  const dtype = inputs.x.dtype;
  const cast = (v: Float64Array) => {
    const out = allocTypedArray(dtype, v.length);
    out.set(v);
    return out;
  };
  // dx = dZ · Bᵀ where x·B are the logits.
  const dx = new Float64Array(N * K);
  const b = weightAsB(w, dims, attrs.kernelLayout);
  gemm(
    N,
    K,
    C,
    { data: dZ, offset: 0, rowStride: C, colStride: 1 },
    { ...b, rowStride: b.colStride, colStride: b.rowStride },
    dx,
    0,
  );
  // dB = xᵀ · dZ (K×C), laid out as the weight is.
  const dW = new Float64Array(K * C);
  const dZm = { data: dZ, offset: 0, rowStride: C, colStride: 1 };
  const xT = { data: x, offset: 0, rowStride: 1, colStride: K };
  if (attrs.kernelLayout === 'inOut') gemm(K, C, N, xT, dZm, dW, 0);
  else
    gemm(
      C,
      K,
      N,
      { data: dZ, offset: 0, rowStride: 1, colStride: C },
      { data: x, offset: 0, rowStride: K, colStride: 1 },
      dW,
      0,
    );
  let dBias: TypedArray | undefined;
  if (inputs.bias) {
    const db = new Float64Array(C);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) db[c] += dZ[n * C + c];
    dBias = cast(db);
  }
  return { dx: cast(dx), dWeight: cast(dW), dBias };
}
