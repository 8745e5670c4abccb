/**
 * C[M×N] += A[M×K] · B[K×N] for arbitrary element strides of A and B.
 *
 * GotoBLAS shape in plain TypeScript: B is packed per K-block into column panels of 4, A per
 * row-block into row panels of 4, and a 4×4 register-blocked micro-kernel walks one A panel
 * against one B panel. Packing into Float64Array keeps the hot loop monomorphic whatever the input
 * dtype, and the 16 accumulators stay in registers.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;

let packA: Float64Array = new Float64Array(0);
let packB: Float64Array = new Float64Array(0);

function ensure(buf: Float64Array, size: number): Float64Array {
  return buf.length >= size ? buf : new Float64Array(size);
}

export interface StridedMatrix {
  data: ArrayLike<number>;
  offset: number;
  rowStride: number;
  colStride: number;
}

export function gemm(
  M: number,
  N: number,
  K: number,
  A: StridedMatrix,
  B: StridedMatrix,
  C: Float64Array,
  cOffset: number,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  const nPanels = Math.ceil(N / NR);
  const kcMax = Math.min(KC, K);
  packB = ensure(packB, nPanels * NR * kcMax);
  packA = ensure(packA, Math.ceil(Math.min(MC, M) / MR) * MR * kcMax);
  const pb = packB;
  const pa = packA;
  const a = A.data;
  const b = B.data;

  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    // Pack B[k0:k0+kc, :] into panels: pb[(panel * kc + kk) * NR + jj].
    for (let p = 0; p < nPanels; p++) {
      const j0 = p * NR;
      const base = p * kc * NR;
      for (let kk = 0; kk < kc; kk++) {
        const row = B.offset + (k0 + kk) * B.rowStride;
        const o = base + kk * NR;
        for (let jj = 0; jj < NR; jj++) {
          const j = j0 + jj;
          pb[o + jj] = j < N ? b[row + j * B.colStride] : 0;
        }
      }
    }
    for (let i0 = 0; i0 < M; i0 += MC) {
      const mc = Math.min(MC, M - i0);
      const mPanels = Math.ceil(mc / MR);
      // Pack A[i0:i0+mc, k0:k0+kc] into panels: pa[(panel * kc + kk) * MR + ii].
      for (let p = 0; p < mPanels; p++) {
        const base = p * kc * MR;
        for (let ii = 0; ii < MR; ii++) {
          const i = i0 + p * MR + ii;
          if (i < M) {
            const row = A.offset + i * A.rowStride + k0 * A.colStride;
            for (let kk = 0, src = row; kk < kc; kk++, src += A.colStride) pa[base + kk * MR + ii] = a[src];
          } else {
            for (let kk = 0; kk < kc; kk++) pa[base + kk * MR + ii] = 0;
          }
        }
      }
      for (let ip = 0; ip < mPanels; ip++) {
        const aBase = ip * kc * MR;
        const iRow = i0 + ip * MR;
        const rows = Math.min(MR, M - iRow);
        for (let jp = 0; jp < nPanels; jp++) {
          let bi = jp * kc * NR;
          let ai = aBase;
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
          let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          // Two k steps per iteration halve the loop overhead.
          const kEven = kc & ~1;
          let kk = 0;
          for (; kk < kEven; kk += 2, ai += 2 * MR, bi += 2 * NR) {
            {
              const b0 = pb[bi];
              const b1 = pb[bi + 1];
              const b2 = pb[bi + 2];
              const b3 = pb[bi + 3];
              const a0 = pa[ai];
              c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
              const a1 = pa[ai + 1];
              c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
              const a2 = pa[ai + 2];
              c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
              const a3 = pa[ai + 3];
              c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            {
              const b0 = pb[bi + 4];
              const b1 = pb[bi + 5];
              const b2 = pb[bi + 6];
              const b3 = pb[bi + 7];
              const a0 = pa[ai + 4];
              c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
              const a1 = pa[ai + 5];
              c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
              const a2 = pa[ai + 6];
              c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
              const a3 = pa[ai + 7];
              c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
          }
          if (kk < kc) {
            {
              const b0 = pb[bi];
              const b1 = pb[bi + 1];
              const b2 = pb[bi + 2];
              const b3 = pb[bi + 3];
              const a0 = pa[ai];
              c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
              const a1 = pa[ai + 1];
              c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
              const a2 = pa[ai + 2];
              c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
              const a3 = pa[ai + 3];
              c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
          }
          const j0 = jp * NR;
          const cols = Math.min(NR, N - j0);
          const c0 = cOffset + iRow * N + j0;
          if (rows === MR && cols === NR) {
            let c = c0;
            C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
            c += N;
            C[c] += c10; C[c + 1] += c11; C[c + 2] += c12; C[c + 3] += c13;
            c += N;
            C[c] += c20; C[c + 1] += c21; C[c + 2] += c22; C[c + 3] += c23;
            c += N;
            C[c] += c30; C[c + 1] += c31; C[c + 2] += c32; C[c + 3] += c33;
          } else {
            const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) C[c0 + r * N + q] += acc[r * NR + q];
            }
          }
        }
      }
    }
  }
}
