// General matrix multiply with WebAssembly SIMD: B packed into 8-column panels, A into 4-row
// panels, a 4×8 register block (and 1-row variants for a batch of one: three panels at a time,
// six accumulators — with four panels and eight, V8 spilled one to the stack every iteration). Multiply-adds go through
// `madd`, a fused multiply-add where the build has relaxed SIMD.
import { madd } from './simd-math';
const KC: i32 = 256; // depth of one packed block: a B panel (KC×8 floats, 8 KiB) stays in L1
const MC: i32 = 64; // rows of A packed at a time (64×256 floats, 64 KiB, in L2)
const MR: i32 = 4;
const NR: i32 = 8;


/** Bytes `packB` writes for a K×N matrix. */
export function packedSize(K: i32, N: i32): i32 {
  return K * ((N + NR - 1) / NR) * NR * 4;
}

/**
 * Packs B (K×N, element strides rs, cs) into 8-wide column panels per K block: block k0 starts at
 * k0·nPanels·8 floats, its panel p at p·kc·8, element (kk, jj) at kk·8 + jj; zero-padded.
 */
export function packB(K: i32, N: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  const nPanels = (N + NR - 1) / NR;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const block = dst + (<usize>(k0 * nPanels * NR) << 2);
    for (let p = 0; p < nPanels; p++) {
      const panel = block + (<usize>(p * kc * NR) << 2);
      for (let kk = 0; kk < kc; kk++) {
        const row = b + (<usize>((k0 + kk) * rs + p * NR * cs) << 2);
        const out = panel + (<usize>(kk * NR) << 2);
        if (p * NR + NR <= N) {
          if (cs == 1) {
            v128.store(out, v128.load(row));
            v128.store(out, v128.load(row, 16), 16);
          } else {
            for (let jj = 0; jj < NR; jj++) store<f32>(out + (<usize>jj << 2), load<f32>(row + (<usize>(jj * cs) << 2)));
          }
        } else {
          for (let jj = 0; jj < NR; jj++) {
            const v: f32 = p * NR + jj < N ? load<f32>(row + (<usize>(jj * cs) << 2)) : 0;
            store<f32>(out + (<usize>jj << 2), v);
          }
        }
      }
    }
  }
}

/** Packs rows [i0, i0+mc) × cols [k0, k0+kc) of A into 4-row panels: (panel·kc + kk)·4 + ii. */
function packA(a: usize, rs: i32, cs: i32, M: i32, i0: i32, mc: i32, k0: i32, kc: i32, pa: usize): void {
  for (let p = 0; p < mc; p += MR) {
    const panel = pa + (<usize>(p * kc) << 2);
    for (let ii = 0; ii < MR; ii++) {
      const i = i0 + p + ii;
      if (i < M && p + ii < mc) {
        let src = a + (<usize>(i * rs + k0 * cs) << 2);
        const step = <usize>cs << 2;
        let out = panel + (<usize>ii << 2);
        for (let kk = 0; kk < kc; kk++) {
          store<f32>(out, load<f32>(src));
          src += step;
          out += MR << 2;
        }
      } else {
        let out = panel + (<usize>ii << 2);
        for (let kk = 0; kk < kc; kk++) {
          store<f32>(out, 0);
          out += MR << 2;
        }
      }
    }
  }
}

/**
 * Scratch bytes `gemm` needs: its packed A block, then a 4×8 block of C for edges. Each thread
 * passes its own, so threads share nothing but their inputs.
 */
export function gemmScratchSize(): i32 {
  return MC * KC * 4 + MR * NR * 4;
}

/**
 * C[M×N] (row stride ldc) = or += A[M×K] (element strides ars, acs) · B, with B packed by packB.
 * `accumulate` 0 overwrites C. `pa` is scratch of gemmScratchSize() bytes.
 */
export function gemm(
  M: i32,
  N: i32,
  K: i32,
  a: usize,
  ars: i32,
  acs: i32,
  pb: usize,
  c: usize,
  ldc: i32,
  accumulate: i32,
  pa: usize,
): void {
  if (M == 0 || N == 0) return;
  const nPanels = (N + NR - 1) / NR;
  const edge = pa + <usize>(MC * KC * 4);
  if (K == 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>N << 2);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const overwrite = k0 == 0 && !accumulate;
    const block = pb + (<usize>(k0 * nPanels * NR) << 2);
    for (let i0 = 0; i0 < M; i0 += MC) {
      const mc = min(MC, M - i0);
      packA(a, ars, acs, M, i0, mc, k0, kc, pa);
      let jp = 0;
      if (mc == 1) {
        // One row (a batch of one): three panels at a time, six independent accumulators.
        const panelBytes = <usize>(kc * NR) << 2;
        for (; jp + 3 <= nPanels; jp += 3) {
          const cBlock = c + (<usize>(i0 * ldc + jp * NR) << 2);
          micro1x3(kc, pa, block + <usize>jp * panelBytes, panelBytes, cBlock, overwrite);
        }
      }
      for (; jp < nPanels; jp++) {
        const panel = block + (<usize>(jp * kc * NR) << 2);
        const cols = min(NR, N - jp * NR);
        for (let ip = 0; ip < mc; ip += MR) {
          const rows = min(MR, mc - ip);
          const cBlock = c + (<usize>((i0 + ip) * ldc + jp * NR) << 2);
          const aPanel = pa + (<usize>(ip * kc) << 2);
          if (rows == 1) micro1(kc, aPanel, panel, cBlock, cols, overwrite, edge);
          else micro(kc, aPanel, panel, cBlock, ldc, rows, cols, overwrite, edge);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function update(dst: usize, v: v128, overwrite: bool): void {
  v128.store(dst, overwrite ? v : f32x4.add(v128.load(dst), v));
}

/** One 4×8 block of C over kc steps: eight f32x4 accumulators stay in registers. */
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, rows: i32, cols: i32, overwrite: bool, edge: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += MR << 2;
    pb += NR << 2;
  }
  const stride = <usize>ldc << 2;
  if (rows == MR && cols == NR) {
    update(c, c00, overwrite);
    update(c + 16, c01, overwrite);
    update(c + stride, c10, overwrite);
    update(c + stride + 16, c11, overwrite);
    update(c + 2 * stride, c20, overwrite);
    update(c + 2 * stride + 16, c21, overwrite);
    update(c + 3 * stride, c30, overwrite);
    update(c + 3 * stride + 16, c31, overwrite);
    return;
  }
  v128.store(edge, c00);
  v128.store(edge, c01, 16);
  v128.store(edge, c10, 32);
  v128.store(edge, c11, 48);
  v128.store(edge, c20, 64);
  v128.store(edge, c21, 80);
  v128.store(edge, c30, 96);
  v128.store(edge, c31, 112);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const dst = c + <usize>r * stride + (<usize>q << 2);
      const v = load<f32>(edge + (<usize>(r * NR + q) << 2));
      store<f32>(dst, overwrite ? v : load<f32>(dst) + v);
    }
  }
}

/** One row of C against three consecutive panels (24 columns): six accumulators, in registers. */
function micro1x3(kc: i32, pa: usize, pb: usize, panelBytes: usize, c: usize, overwrite: bool): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0);
  let c5 = f32x4.splat(0);
  let p0 = pb;
  let p1 = pb + panelBytes;
  let p2 = pb + 2 * panelBytes;
  for (let kk = 0; kk < kc; kk++) {
    const a = v128.load32_splat(pa);
    c0 = madd(a, v128.load(p0), c0);
    c1 = madd(a, v128.load(p0, 16), c1);
    c2 = madd(a, v128.load(p1), c2);
    c3 = madd(a, v128.load(p1, 16), c3);
    c4 = madd(a, v128.load(p2), c4);
    c5 = madd(a, v128.load(p2, 16), c5);
    pa += MR << 2;
    p0 += NR << 2;
    p1 += NR << 2;
    p2 += NR << 2;
  }
  update(c, c0, overwrite);
  update(c + 16, c1, overwrite);
  update(c + 32, c2, overwrite);
  update(c + 48, c3, overwrite);
  update(c + 64, c4, overwrite);
  update(c + 80, c5, overwrite);
}

/** A single row of C (a batch of one): a quarter of the work of the 4×8 block. */
function micro1(kc: i32, pa: usize, pb: usize, c: usize, cols: i32, overwrite: bool, edge: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  for (let kk = 0; kk < kc; kk++) {
    const a = v128.load32_splat(pa);
    c0 = madd(a, v128.load(pb), c0);
    c1 = madd(a, v128.load(pb, 16), c1);
    pa += MR << 2;
    pb += NR << 2;
  }
  if (cols == NR) {
    update(c, c0, overwrite);
    update(c + 16, c1, overwrite);
    return;
  }
  v128.store(edge, c0);
  v128.store(edge, c1, 16);
  for (let q = 0; q < cols; q++) {
    const dst = c + (<usize>q << 2);
    const v = load<f32>(edge + (<usize>q << 2));
    store<f32>(dst, overwrite ? v : load<f32>(dst) + v);
  }
}

