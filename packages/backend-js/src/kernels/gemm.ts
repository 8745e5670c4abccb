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
    packPanelsB(b, B, k0, kc, N, nPanels, pb);
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
      // One B panel (kc×4) stays in L1 while every A panel of the block (in L2) streams past it.
      for (let jp = 0; jp < nPanels; jp++) {
        for (let ip = 0; ip < mPanels; ip++) {
          const iRow = i0 + ip * MR;
          const rows = Math.min(MR, M - iRow);
          let bi = jp * kc * NR;
          let ai = ip * kc * MR;
          // 16 accumulators: one 4×4 block of C held in registers for the whole k loop.
          let c00 = 0;
          let c01 = 0;
          let c02 = 0;
          let c03 = 0;
          let c10 = 0;
          let c11 = 0;
          let c12 = 0;
          let c13 = 0;
          let c20 = 0;
          let c21 = 0;
          let c22 = 0;
          let c23 = 0;
          let c30 = 0;
          let c31 = 0;
          let c32 = 0;
          let c33 = 0;
          for (let kk = 0; kk < kc; kk++, ai += MR, bi += NR) {
            const b0 = pb[bi];
            const b1 = pb[bi + 1];
            const b2 = pb[bi + 2];
            const b3 = pb[bi + 3];
            const a0 = pa[ai];
            c00 += a0 * b0;
            c01 += a0 * b1;
            c02 += a0 * b2;
            c03 += a0 * b3;
            const a1 = pa[ai + 1];
            c10 += a1 * b0;
            c11 += a1 * b1;
            c12 += a1 * b2;
            c13 += a1 * b3;
            const a2 = pa[ai + 2];
            c20 += a2 * b0;
            c21 += a2 * b1;
            c22 += a2 * b2;
            c23 += a2 * b3;
            const a3 = pa[ai + 3];
            c30 += a3 * b0;
            c31 += a3 * b1;
            c32 += a3 * b2;
            c33 += a3 * b3;
          }
          const j0 = jp * NR;
          const cols = Math.min(NR, N - j0);
          const c0 = cOffset + iRow * N + j0;
          if (rows === MR && cols === NR) {
            let c = c0;
            C[c] += c00;
            C[c + 1] += c01;
            C[c + 2] += c02;
            C[c + 3] += c03;
            c += N;
            C[c] += c10;
            C[c + 1] += c11;
            C[c + 2] += c12;
            C[c + 3] += c13;
            c += N;
            C[c] += c20;
            C[c + 1] += c21;
            C[c + 2] += c22;
            C[c + 3] += c23;
            c += N;
            C[c] += c30;
            C[c + 1] += c31;
            C[c + 2] += c32;
            C[c + 3] += c33;
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

/** Packs B[k0:k0+kc, :] into column panels of NR: pb[(panel * kc + kk) * NR + jj], zero-padded. */
function packPanelsB(
  b: ArrayLike<number>,
  B: StridedMatrix,
  k0: number,
  kc: number,
  N: number,
  nPanels: number,
  pb: Float64Array,
): void {
  const fullPanels = Math.floor(N / NR);
  const cs = B.colStride;
  for (let kk = 0; kk < kc; kk++) {
    const row = B.offset + (k0 + kk) * B.rowStride;
    let o = kk * NR;
    const panelStride = kc * NR;
    if (cs === 1) {
      // Row-major B: read each row once, in order.
      for (let p = 0, src = row; p < fullPanels; p++, src += NR, o += panelStride) {
        pb[o] = b[src];
        pb[o + 1] = b[src + 1];
        pb[o + 2] = b[src + 2];
        pb[o + 3] = b[src + 3];
      }
    } else {
      for (let p = 0, src = row; p < fullPanels; p++, src += NR * cs, o += panelStride) {
        pb[o] = b[src];
        pb[o + 1] = b[src + cs];
        pb[o + 2] = b[src + 2 * cs];
        pb[o + 3] = b[src + 3 * cs];
      }
    }
    for (let p = fullPanels; p < nPanels; p++, o += panelStride) {
      for (let jj = 0; jj < NR; jj++) {
        const j = p * NR + jj;
        pb[o + jj] = j < N ? b[row + j * cs] : 0;
      }
    }
  }
}
