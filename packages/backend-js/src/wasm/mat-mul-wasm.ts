import type { WasmKernels } from './runtime';

/** Below this many multiply-adds the copies into wasm memory cost more than the SIMD saves. */
export const WASM_MATMUL_MIN_WORK = 4096;

/**
 * count products C_n[M×N] = A_n·B_n on float32 matrices with the SIMD kernel. A_n starts at
 * aOffsets[n] with element strides (ars, acs), likewise B_n; C is row-major, one M×N block per n.
 */
export function wasmMatMul(
  k: WasmKernels,
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  aOffsets: readonly number[],
  ars: number,
  acs: number,
  b: Float32Array,
  bOffsets: readonly number[],
  brs: number,
  bcs: number,
  threads = 1,
): Float32Array {
  const count = aOffsets.length;
  const out = new Float32Array(count * M * N);
  k.reset();
  const pa = k.alloc(M * K);
  const pb = k.alloc(K * N);
  const packed = k.alloc(k.fn.packedSize(K, N) / 4);
  const pc = k.alloc(M * N);
  const useThreads = M >= 8 && M * N * K >= 1 << 18 ? k.threads(Math.min(threads, Math.floor(M / 4))) : 1;
  const scratch = k.scratch(useThreads);
  const f = k.f32();
  let lastB = -1;
  for (let n = 0; n < count; n++) {
    // Each operand is copied as the contiguous block its strides span (M·K values for A).
    f.set(a.subarray(aOffsets[n], aOffsets[n] + M * K), pa / 4);
    if (bOffsets[n] !== lastB) {
      // A batch-broadcast B (one weight for every batch item) is packed once.
      f.set(b.subarray(bOffsets[n], bOffsets[n] + K * N), pb / 4);
      k.fn.packB(K, N, pb, brs, bcs, packed);
      lastB = bOffsets[n];
    }
    k.gemmRows(useThreads, scratch, M, N, K, pa, ars, acs, packed, pc, N, 0);
    out.set(f.subarray(pc / 4, pc / 4 + M * N), n * M * N);
  }
  return out;
}
