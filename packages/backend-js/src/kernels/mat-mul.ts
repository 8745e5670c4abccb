import { allocTypedArray, broadcastStrides, type DType, sizeOf, stridesOf, type TypedArray } from '@recur/backend-api';
import { WASM_MATMUL_MIN_WORK, wasmMatMul } from '../wasm/mat-mul-wasm';
import type { WasmKernels } from '../wasm/runtime';
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
  wasm: WasmKernels | null = null,
  threads = 1,
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
  const shape = [...batch, M, N];
  const index = new Array<number>(rank).fill(0);
  const batchStrides = stridesOf(batch);
  const aOffsets: number[] = [];
  const bOffsets: number[] = [];
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
    aOffsets.push(aOff * aMat);
    bOffsets.push(bOff * bMat);
  }
  const [ars, acs] = transposeA ? [1, M] : [K, 1];
  const [brs, bcs] = transposeB ? [1, K] : [N, 1];
  if (wasm && dtype === 'float32' && M * N * K >= WASM_MATMUL_MIN_WORK) {
    const data = wasmMatMul(
      wasm,
      M,
      N,
      K,
      a as Float32Array,
      aOffsets,
      ars,
      acs,
      b as Float32Array,
      bOffsets,
      brs,
      bcs,
      threads,
    );
    return { data, shape };
  }
  const acc = new Float64Array(count * M * N);
  for (let n = 0; n < count; n++) {
    gemm(
      M,
      N,
      K,
      { data: a, offset: aOffsets[n], rowStride: ars, colStride: acs },
      { data: b, offset: bOffsets[n], rowStride: brs, colStride: bcs },
      acc,
      n * M * N,
    );
  }
  if (dtype === 'float64') return { data: acc, shape };
  const out = allocTypedArray(dtype, acc.length);
  out.set(acc);
  return { data: out, shape };
}
