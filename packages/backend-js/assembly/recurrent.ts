// Recurrent steps for the fused RNN / LSTM / GRU kernels: the gates of one step for a block of
// rows, their backward, and whole steps (recurrent product + gates) for one block of rows.
import { gemm } from './gemm';
import { expv, ld, sigd, sigmoidv, sq1m, st, tanhv } from './simd-math';
// ---- Recurrent steps (gate order i f g o / r z n, as the fused TypeScript kernels) -----------
// Rows are the na sequences still running at this step; xw and hw are this step's input and
// recurrent products (hw without its bias), bhh may be 0 (no bias). ws, when not 0, receives the
// per-row workspace backward needs, wsW floats per row.

/**
 * LSTM gates for units [0, Hu) of rows [0, na) (pointers already offset to the first unit):
 * xw rows of xwRow floats with gates xGate apart, hw rows of hwRow floats with gates Hu apart;
 * state rows H apart; reads h_prev from hIn and writes h to hOut (the same buffer when in place).
 * ws row = [i f g o | c | tanh c | c_prev | h_prev], each H wide.
 */
export function lstmGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, xGate: i32, hw: usize, hwRow: i32, bhh: usize, c: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
  const h4 = <usize>H << 2;
  const u4 = <usize>Hu << 2;
  const x4 = <usize>xGate << 2;
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
      const gf = sigmoidv(f32x4.add(f32x4.add(ld(x + x4 + o, one), ld(y + u4 + o, one)), bf));
      const gg = tanhv(f32x4.add(f32x4.add(ld(x + 2 * x4 + o, one), ld(y + 2 * u4 + o, one)), bg));
      const go = sigmoidv(f32x4.add(f32x4.add(ld(x + 3 * x4 + o, one), ld(y + 3 * u4 + o, one)), bo));
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
  lstmGates(na, H, H, xw, 4 * H, H, hw, 4 * H, bhh, c, h, h, ws, wsW);
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
export function gruGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, xGate: i32, hw: usize, hwRow: i32, bhh: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
  const h4 = <usize>H << 2;
  const u4 = <usize>Hu << 2;
  const x4 = <usize>xGate << 2;
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
      const gz = sigmoidv(f32x4.add(f32x4.add(ld(x + x4 + o, one), ld(y + u4 + o, one)), bz));
      const hn = f32x4.add(ld(y + 2 * u4 + o, one), bn);
      const gn = tanhv(f32x4.add(ld(x + 2 * x4 + o, one), f32x4.mul(gr, hn)));
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
  gruGates(na, H, H, xw, 3 * H, H, hw, 3 * H, bhh, h, h, ws, wsW);
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
export function rnnGates(na: i32, Hu: i32, H: i32, xw: usize, xwRow: i32, hw: usize, hwRow: i32, bhh: usize, hIn: usize, hOut: usize, ws: usize, wsW: i32): void {
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

