import { allocTypedArray, broadcastStrides, type DType, sizeOf, stridesOf, type TypedArray } from '@recur/backend-api';
import { gemm } from './gemm';

/** Batched matMul with broadcast batch dimensions; see Backend.matMul. */
export function matMul(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  dtype: DType,
): { data: TypedArray; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const M = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const K = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const N = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aBatch[i - (rank - aBatch.length)] ?? 1;
    const db = bBatch[i - (rank - bBatch.length)] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  const aStrides = broadcastStrides(aBatch, batch);
  const bStrides = broadcastStrides(bBatch, batch);
  const aMat = M * K;
  const bMat = K * N;
  const count = sizeOf(batch);
  const acc = new Float64Array(count * M * N);
  const index = new Array<number>(rank).fill(0);
  const batchStrides = stridesOf(batch);
  for (let n = 0; n < count; n++) {
    let rest = n;
    let aOff = 0;
    let bOff = 0;
    for (let i = 0; i < rank; i++) {
      index[i] = Math.floor(rest / batchStrides[i]);
      rest -= index[i] * batchStrides[i];
      aOff += index[i] * aStrides[i];
      bOff += index[i] * bStrides[i];
    }
    gemm(
      M,
      N,
      K,
      { data: a, offset: aOff * aMat, rowStride: transposeA ? 1 : K, colStride: transposeA ? M : 1 },
      { data: b, offset: bOff * bMat, rowStride: transposeB ? 1 : N, colStride: transposeB ? K : 1 },
      acc,
      n * M * N,
    );
  }
  const shape = [...batch, M, N];
  if (dtype === 'float64') return { data: acc, shape };
  const out = allocTypedArray(dtype, acc.length);
  out.set(acc);
  return { data: out, shape };
}
