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

function ensure(buf: Float64Array, size: number): Float64Array {
  return buf.length >= size ? buf : new Float64Array(size);
}

/** A matrix view over a flat array: element (i, j) is `data[offset + i·rowStride + j·colStride]`. */
export interface StridedMatrix {
  /** The values. */
  data: ArrayLike<number>;
  /** Where element (0, 0) is. */
  offset: number;
  /** Step between rows. */
  rowStride: number;
  /** Step between columns. */
  colStride: number;
}

/** B (K×N) packed once into 4-wide column panels per K-block, ready for any number of products. */
export interface PackedB {
  K: number;
  N: number;
  nPanels: number;
  data: Float64Array;
}

/**
 * Packs B so that a product reused many times (a recurrent weight, once per time step) pays for
 * the packing once. Block kb of KC rows starts at kb·KC·nPanels·NR; inside it, panel p at p·kc·NR.
 */
export function packB(K: number, N: number, B: StridedMatrix): PackedB {
  const nPanels = Math.ceil(N / NR);
  const data = new Float64Array(Math.max(1, K * nPanels * NR));
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    packPanelsB(B.data, B, k0, kc, N, nPanels, data, k0 * nPanels * NR);
  }
  return { K, N, nPanels, data };
}

/** C[M×N] += A[M×K] · B[K×N], packing B for this one product. */
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
  gemmPacked(M, A, packB(K, N, B), C, cOffset);
}

/** C[M×N] += A[M×K] · B with B packed by `packB`. */
export function gemmPacked(M: number, A: StridedMatrix, B: PackedB, C: Float64Array, cOffset: number): void {
  const { K, N, nPanels } = B;
  if (M === 0 || N === 0 || K === 0) return;
  if (M < MR) {
    rowsTimesPacked(M, A, B, C, cOffset);
    return;
  }
  const kcMax = Math.min(KC, K);
  packA = ensure(packA, Math.ceil(Math.min(MC, M) / MR) * MR * kcMax);
  const pa = packA;
  const a = A.data;

  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const pb = B.data;
    const bBlock = k0 * nPanels * NR;
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
          let bi = bBlock + jp * kc * NR;
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
  base: number,
): void {
  const fullPanels = Math.floor(N / NR);
  const cs = B.colStride;
  for (let kk = 0; kk < kc; kk++) {
    const row = B.offset + (k0 + kk) * B.rowStride;
    let o = base + kk * NR;
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

/** Fewer than MR rows (a batch of one, say): a 1×4 kernel per row straight from A, no padding work. */
function rowsTimesPacked(M: number, A: StridedMatrix, B: PackedB, C: Float64Array, cOffset: number): void {
  const { K, N, nPanels, data: pb } = B;
  const a = A.data;
  for (let i = 0; i < M; i++) {
    const aRow = A.offset + i * A.rowStride;
    const cRow = cOffset + i * N;
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      const bBlock = k0 * nPanels * NR;
      for (let p = 0; p < nPanels; p++) {
        let bi = bBlock + p * kc * NR;
        let ai = aRow + k0 * A.colStride;
        let c0 = 0;
        let c1 = 0;
        let c2 = 0;
        let c3 = 0;
        for (let kk = 0; kk < kc; kk++, bi += NR, ai += A.colStride) {
          const av = a[ai];
          c0 += av * pb[bi];
          c1 += av * pb[bi + 1];
          c2 += av * pb[bi + 2];
          c3 += av * pb[bi + 3];
        }
        const j = p * NR;
        const c = cRow + j;
        C[c] += c0;
        if (j + 1 < N) C[c + 1] += c1;
        if (j + 2 < N) C[c + 2] += c2;
        if (j + 3 < N) C[c + 3] += c3;
      }
    }
  }
}
