// backend-js's WebAssembly SIMD kernels, in AssemblyScript (compiled by scripts/build-wasm.mjs).
//
// The host owns memory: every pointer is a byte offset into this module's memory that the
// TypeScript side chose, so the kernels allocate nothing. All values are float32.

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
        // One row (a batch of one): four panels at a time, for eight independent accumulators.
        const panelBytes = <usize>(kc * NR) << 2;
        for (; jp + 4 <= nPanels; jp += 4) {
          const cBlock = c + (<usize>(i0 * ldc + jp * NR) << 2);
          micro1x4(kc, pa, block + <usize>jp * panelBytes, panelBytes, cBlock, overwrite);
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
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
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

/** One row of C against four consecutive panels (32 columns): the accumulators hide the add latency. */
function micro1x4(kc: i32, pa: usize, pb: usize, panelBytes: usize, c: usize, overwrite: bool): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0);
  let c5 = f32x4.splat(0);
  let c6 = f32x4.splat(0);
  let c7 = f32x4.splat(0);
  let p0 = pb;
  let p1 = pb + panelBytes;
  let p2 = pb + 2 * panelBytes;
  let p3 = pb + 3 * panelBytes;
  for (let kk = 0; kk < kc; kk++) {
    const a = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a, v128.load(p0)));
    c1 = f32x4.add(c1, f32x4.mul(a, v128.load(p0, 16)));
    c2 = f32x4.add(c2, f32x4.mul(a, v128.load(p1)));
    c3 = f32x4.add(c3, f32x4.mul(a, v128.load(p1, 16)));
    c4 = f32x4.add(c4, f32x4.mul(a, v128.load(p2)));
    c5 = f32x4.add(c5, f32x4.mul(a, v128.load(p2, 16)));
    c6 = f32x4.add(c6, f32x4.mul(a, v128.load(p3)));
    c7 = f32x4.add(c7, f32x4.mul(a, v128.load(p3, 16)));
    pa += MR << 2;
    p0 += NR << 2;
    p1 += NR << 2;
    p2 += NR << 2;
    p3 += NR << 2;
  }
  update(c, c0, overwrite);
  update(c + 16, c1, overwrite);
  update(c + 32, c2, overwrite);
  update(c + 48, c3, overwrite);
  update(c + 64, c4, overwrite);
  update(c + 80, c5, overwrite);
  update(c + 96, c6, overwrite);
  update(c + 112, c7, overwrite);
}

/** A single row of C (a batch of one): a quarter of the work of the 4×8 block. */
function micro1(kc: i32, pa: usize, pb: usize, c: usize, cols: i32, overwrite: bool, edge: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  for (let kk = 0; kk < kc; kk++) {
    const a = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
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

// ---- Element-wise: exp, sigmoid, tanh on four lanes ------------------------------------------

// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  // Cephes expf: e^x = 2^n · e^r with r = x − n·ln2, |r| ≤ ln2/2, and a degree-6 polynomial for e^r.
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

// @ts-ignore: decorator
@inline
function sigmoidv(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expv(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline
function tanhv(x: v128): v128 {
  // tanh x = 1 − 2 / (1 + e^{2x}); absolute error stays near float32 epsilon.
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(f32x4.splat(1), expv(f32x4.add(x, x)))));
}

// Loads and stores of four lanes, or of one lane (splat) for the tail of a row.
// @ts-ignore: decorator
@inline
function ld(p: usize, one: bool): v128 {
  return one ? v128.load32_splat(p) : v128.load(p);
}

// @ts-ignore: decorator
@inline
function st(p: usize, v: v128, one: bool): void {
  if (one) v128.store32_lane(p, v, 0);
  else v128.store(p, v);
}

// @ts-ignore: decorator
@inline
function sq1m(y: v128): v128 {
  return f32x4.sub(f32x4.splat(1), f32x4.mul(y, y));
}

// @ts-ignore: decorator
@inline
function sigd(y: v128): v128 {
  return f32x4.mul(y, f32x4.sub(f32x4.splat(1), y));
}

// ---- Recurrent steps (gate order i f g o / r z n, as the fused TypeScript kernels) -----------
// Rows are the na sequences still running at this step; xw and hw are this step's input and
// recurrent products (hw without its bias), bhh may be 0 (no bias). ws, when not 0, receives the
// per-row workspace backward needs, wsW floats per row.

/**
 * LSTM gates for units [0, Hu) of rows [0, na) (pointers already offset to the first unit):
 * xw rows of xwRow floats with gates H apart, hw rows of hwRow floats with gates Hu apart; state
 * rows H apart; reads h_prev from hIn and writes h to hOut (the same buffer when in place).
 * ws row = [i f g o | c | tanh c | c_prev | h_prev], each H wide.
 */
function lstmGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, hw: usize, hwRow: i32, bhh: usize, c: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
  const h4 = <usize>H << 2;
  const u4 = <usize>Hu << 2;
  for (let r = 0; r < na; r++) {
    const x = xw + (<usize>(r * xwRow) << 2);
    const y = hw + (<usize>(r * hwRow) << 2);
    const cr = c + <usize>r * h4;
    const hi = hIn + <usize>r * h4;
    const ho = hOut + <usize>r * h4;
    const w = ws + (<usize>(r * wsW) << 2);
    let k = 0;
    while (k < Hu) {
      const one = k + 4 > Hu;
      const o = <usize>k << 2;
      const bi = bhh ? ld(bhh + o, one) : f32x4.splat(0);
      const bf = bhh ? ld(bhh + h4 + o, one) : f32x4.splat(0);
      const bg = bhh ? ld(bhh + 2 * h4 + o, one) : f32x4.splat(0);
      const bo = bhh ? ld(bhh + 3 * h4 + o, one) : f32x4.splat(0);
      const gi = sigmoidv(f32x4.add(f32x4.add(ld(x + o, one), ld(y + o, one)), bi));
      const gf = sigmoidv(f32x4.add(f32x4.add(ld(x + h4 + o, one), ld(y + u4 + o, one)), bf));
      const gg = tanhv(f32x4.add(f32x4.add(ld(x + 2 * h4 + o, one), ld(y + 2 * u4 + o, one)), bg));
      const go = sigmoidv(f32x4.add(f32x4.add(ld(x + 3 * h4 + o, one), ld(y + 3 * u4 + o, one)), bo));
      const cPrev = ld(cr + o, one);
      const cNew = f32x4.add(f32x4.mul(gf, cPrev), f32x4.mul(gi, gg));
      const ac = tanhv(cNew);
      if (ws) {
        st(w + o, gi, one);
        st(w + h4 + o, gf, one);
        st(w + 2 * h4 + o, gg, one);
        st(w + 3 * h4 + o, go, one);
        st(w + 4 * h4 + o, cNew, one);
        st(w + 5 * h4 + o, ac, one);
        st(w + 6 * h4 + o, cPrev, one);
        st(w + 7 * h4 + o, ld(hi + o, one), one);
      }
      st(cr + o, cNew, one);
      st(ho + o, f32x4.mul(go, ac), one);
      k += one ? 1 : 4;
    }
  }
}

/** LSTM step for whole rows, in place: hw is this step's h·W_hhᵀ (no bias). */
function lstmStep(na: i32, H: i32, xw: usize, hw: usize, bhh: usize, c: usize, h: usize, ws: usize, wsW: i32): void {
  lstmGates(na, H, H, xw, 4 * H, hw, 4 * H, bhh, c, h, h, ws, wsW);
}

/** LSTM backward through one step: dG (na × 4H) from dh and dc; dc becomes dc_prev. */
function lstmBackStep(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dc: usize, dG: usize): void {
  const G = <usize>(4 * H) << 2;
  const h4 = <usize>H << 2;
  for (let r = 0; r < na; r++) {
    const w = ws + (<usize>(r * wsW) << 2);
    const d = dG + <usize>r * G;
    const dhr = dh + <usize>r * h4;
    const dcr = dc + <usize>r * h4;
    let k = 0;
    while (k < H) {
      const one = k + 4 > H;
      const o = <usize>k << 2;
      const gi = ld(w + o, one);
      const gf = ld(w + h4 + o, one);
      const gg = ld(w + 2 * h4 + o, one);
      const go = ld(w + 3 * h4 + o, one);
      const ac = ld(w + 5 * h4 + o, one);
      const cPrev = ld(w + 6 * h4 + o, one);
      const dm = ld(dhr + o, one);
      const dcTot = f32x4.add(ld(dcr + o, one), f32x4.mul(f32x4.mul(dm, go), sq1m(ac)));
      st(d + o, f32x4.mul(f32x4.mul(dcTot, gg), sigd(gi)), one);
      st(d + h4 + o, f32x4.mul(f32x4.mul(dcTot, cPrev), sigd(gf)), one);
      st(d + 2 * h4 + o, f32x4.mul(f32x4.mul(dcTot, gi), sq1m(gg)), one);
      st(d + 3 * h4 + o, f32x4.mul(f32x4.mul(dm, ac), sigd(go)), one);
      st(dcr + o, f32x4.mul(dcTot, gf), one);
      k += one ? 1 : 4;
    }
  }
}

/** GRU gates (reset after the product, ONNX linear_before_reset=1), laid out as lstmGates: ws row = [r z n | hn | h_prev]. */
function gruGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, hw: usize, hwRow: i32, bhh: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
  const h4 = <usize>H << 2;
  const u4 = <usize>Hu << 2;
  for (let r = 0; r < na; r++) {
    const x = xw + (<usize>(r * xwRow) << 2);
    const y = hw + (<usize>(r * hwRow) << 2);
    const hi = hIn + <usize>r * h4;
    const ho = hOut + <usize>r * h4;
    const w = ws + (<usize>(r * wsW) << 2);
    let k = 0;
    while (k < Hu) {
      const one = k + 4 > Hu;
      const o = <usize>k << 2;
      const br = bhh ? ld(bhh + o, one) : f32x4.splat(0);
      const bz = bhh ? ld(bhh + h4 + o, one) : f32x4.splat(0);
      const bn = bhh ? ld(bhh + 2 * h4 + o, one) : f32x4.splat(0);
      const gr = sigmoidv(f32x4.add(f32x4.add(ld(x + o, one), ld(y + o, one)), br));
      const gz = sigmoidv(f32x4.add(f32x4.add(ld(x + h4 + o, one), ld(y + u4 + o, one)), bz));
      const hn = f32x4.add(ld(y + 2 * u4 + o, one), bn);
      const gn = tanhv(f32x4.add(ld(x + 2 * h4 + o, one), f32x4.mul(gr, hn)));
      const hPrev = ld(hi + o, one);
      if (ws) {
        st(w + o, gr, one);
        st(w + h4 + o, gz, one);
        st(w + 2 * h4 + o, gn, one);
        st(w + 3 * h4 + o, hn, one);
        st(w + 4 * h4 + o, hPrev, one);
      }
      // h = (1 − z)·n + z·h_prev = n + z·(h_prev − n)
      st(ho + o, f32x4.add(gn, f32x4.mul(gz, f32x4.sub(hPrev, gn))), one);
      k += one ? 1 : 4;
    }
  }
}

function gruStep(na: i32, H: i32, xw: usize, hw: usize, bhh: usize, h: usize, ws: usize, wsW: i32): void {
  gruGates(na, H, H, xw, 3 * H, hw, 3 * H, bhh, h, h, ws, wsW);
}

/**
 * GRU backward through one step: dG (hidden side), dA (input side), both na × 3H, and
 * dNext = dh ⊙ z, the part of dh_prev that skips the recurrent product.
 */
function gruBackStep(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dG: usize, dA: usize, dNext: usize): void {
  const G = <usize>(3 * H) << 2;
  const h4 = <usize>H << 2;
  for (let r = 0; r < na; r++) {
    const w = ws + (<usize>(r * wsW) << 2);
    const g = dG + <usize>r * G;
    const a = dA + <usize>r * G;
    const dhr = dh + <usize>r * h4;
    const dn = dNext + <usize>r * h4;
    let k = 0;
    while (k < H) {
      const one = k + 4 > H;
      const o = <usize>k << 2;
      const gr = ld(w + o, one);
      const gz = ld(w + h4 + o, one);
      const gn = ld(w + 2 * h4 + o, one);
      const hn = ld(w + 3 * h4 + o, one);
      const hPrev = ld(w + 4 * h4 + o, one);
      const d = ld(dhr + o, one);
      const dan = f32x4.mul(f32x4.mul(d, f32x4.sub(f32x4.splat(1), gz)), sq1m(gn));
      const daz = f32x4.mul(f32x4.mul(d, f32x4.sub(hPrev, gn)), sigd(gz));
      const dar = f32x4.mul(f32x4.mul(dan, hn), sigd(gr));
      st(g + o, dar, one);
      st(a + o, dar, one);
      st(g + h4 + o, daz, one);
      st(a + h4 + o, daz, one);
      st(g + 2 * h4 + o, f32x4.mul(dan, gr), one);
      st(a + 2 * h4 + o, dan, one);
      st(dn + o, f32x4.mul(d, gz), one);
      k += one ? 1 : 4;
    }
  }
}

/** Elman RNN with tanh, laid out as lstmGates: ws row = [h | h_prev]. */
function rnnGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, hw: usize, hwRow: i32, bhh: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
  const h4 = <usize>H << 2;
  for (let r = 0; r < na; r++) {
    const x = xw + (<usize>(r * xwRow) << 2);
    const y = hw + (<usize>(r * hwRow) << 2);
    const hi = hIn + <usize>r * h4;
    const ho = hOut + <usize>r * h4;
    const w = ws + (<usize>(r * wsW) << 2);
    let k = 0;
    while (k < Hu) {
      const one = k + 4 > Hu;
      const o = <usize>k << 2;
      const b = bhh ? ld(bhh + o, one) : f32x4.splat(0);
      const v = tanhv(f32x4.add(f32x4.add(ld(x + o, one), ld(y + o, one)), b));
      if (ws) {
        st(w + o, v, one);
        st(w + h4 + o, ld(hi + o, one), one);
      }
      st(ho + o, v, one);
      k += one ? 1 : 4;
    }
  }
}

function rnnStep(na: i32, H: i32, xw: usize, hw: usize, bhh: usize, h: usize, ws: usize, wsW: i32): void {
  rnnGates(na, H, H, xw, H, hw, H, bhh, h, h, ws, wsW);
}

/** RNN backward through one step: dG = dh ⊙ (1 − h²). */
function rnnBackStep(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dG: usize): void {
  const h4 = <usize>H << 2;
  for (let r = 0; r < na; r++) {
    const w = ws + (<usize>(r * wsW) << 2);
    const d = dG + <usize>r * h4;
    const dhr = dh + <usize>r * h4;
    let k = 0;
    while (k < H) {
      const one = k + 4 > H;
      const o = <usize>k << 2;
      st(d + o, f32x4.mul(ld(dhr + o, one), sq1m(ld(w + o, one))), one);
      k += one ? 1 : 4;
    }
  }
}

/** dst[j] += Σ_r src[r·ld + j] for j < cols (bias gradients). */
export function colSums(rows: i32, cols: i32, src: usize, stride: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>(r * stride) << 2);
    let j = 0;
    while (j < cols) {
      const one = j + 4 > cols;
      const o = <usize>j << 2;
      st(dst + o, f32x4.add(ld(dst + o, one), ld(row + o, one)), one);
      j += one ? 1 : 4;
    }
  }
}

/** dst[r·cols + j] = bias[j] for every row (the bias term of a product, before accumulating). */
export function broadcastRows(rows: i32, cols: i32, bias: usize, dst: usize): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * bytes, bias, bytes);
}

// ---- Whole steps for one block of rows ---------------------------------------------------------
// A step's rows are independent: row r's recurrent product reads only row r of h. So a thread can
// take a block of rows and run the product and the gates for them with no barrier in between.

/** hw = h·W_hhᵀ (packed) for these rows, then the LSTM gates. */
export function lstmRows(na: i32, H: i32, h: usize, packed: usize, hw: usize, pa: usize, xw: usize, bhh: usize, c: usize, ws: usize, wsW: i32): void {
  gemm(na, 4 * H, H, h, H, 1, packed, hw, 4 * H, 0, pa);
  lstmStep(na, H, xw, hw, bhh, c, h, ws, wsW);
}

export function gruRows(na: i32, H: i32, h: usize, packed: usize, hw: usize, pa: usize, xw: usize, bhh: usize, ws: usize, wsW: i32): void {
  gemm(na, 3 * H, H, h, H, 1, packed, hw, 3 * H, 0, pa);
  gruStep(na, H, xw, hw, bhh, h, ws, wsW);
}

export function rnnRows(na: i32, H: i32, h: usize, packed: usize, hw: usize, pa: usize, xw: usize, bhh: usize, ws: usize, wsW: i32): void {
  gemm(na, H, H, h, H, 1, packed, hw, H, 0, pa);
  rnnStep(na, H, xw, hw, bhh, h, ws, wsW);
}

/** LSTM backward for these rows: gate gradients, then dNext = dG·W_hh (packed). */
export function lstmBackRows(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dc: usize, dG: usize, packed: usize, dNext: usize, pa: usize): void {
  lstmBackStep(na, H, ws, wsW, dh, dc, dG);
  gemm(na, H, 4 * H, dG, 4 * H, 1, packed, dNext, H, 0, pa);
}

export function gruBackRows(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dG: usize, dA: usize, packed: usize, dNext: usize, pa: usize): void {
  gruBackStep(na, H, ws, wsW, dh, dG, dA, dNext);
  gemm(na, H, 3 * H, dG, 3 * H, 1, packed, dNext, H, 1, pa);
}

export function rnnBackRows(na: i32, H: i32, ws: usize, wsW: i32, dh: usize, dG: usize, packed: usize, dNext: usize, pa: usize): void {
  rnnBackStep(na, H, ws, wsW, dh, dG);
  gemm(na, H, H, dG, H, 1, packed, dNext, H, 0, pa);
}
