import { allocTypedArray, type RecurrentAttrs, type RecurrentInputs, type TypedArray } from '@recur/backend-api';
import { ACTIVATIONS } from './activations';
import { gemm } from './gemm';
import { type RecurrentLayout, timeIndex } from './recurrent-layout';

export interface RecurrentBackwardResult {
  dx: TypedArray;
  dh0: TypedArray;
  dc0?: TypedArray;
  dWIh: TypedArray;
  dWHh: TypedArray;
  dBIh?: TypedArray;
  dBHh?: TypedArray;
  dWHr?: TypedArray;
}

const arr = (t: { data: unknown } | undefined) => (t ? (t.data as TypedArray) : undefined);

function toDType(values: Float64Array, like: TypedArray): TypedArray {
  if (like instanceof Float64Array) return values;
  const out = allocTypedArray('float32', values.length);
  out.set(values);
  return out;
}

/**
 * Backpropagation through time for `recurrentForward`, walking the steps in reverse. Per step:
 * the gate arithmetic, then dh_prev = dG·W_hh and dW_hh += dGᵀ·h_prev as two products; the
 * input side (dx and dW_ih) is two products over all steps at the end.
 */
export function recurrentBackward(
  inputs: RecurrentInputs,
  attrs: RecurrentAttrs,
  L: RecurrentLayout,
  ws: Float64Array,
  dyT: TypedArray,
  dhN: TypedArray,
  dcN: TypedArray | undefined,
): RecurrentBackwardResult {
  const { B, T, I, H, Hout, GH, order, active, wsWidth } = L;
  const x = arr(inputs.x) as TypedArray;
  const wIh = arr(inputs.wIh) as TypedArray;
  const wHh = arr(inputs.wHh) as TypedArray;
  const wHr = arr(inputs.wHr);
  const lstm = attrs.kind === 'lstm';
  const gru = attrs.kind === 'gru';
  const lbr = attrs.linearBeforeReset;
  const [actA, actB, actC] = attrs.activations.map((a) => ACTIVATIONS[a]);

  const dh = new Float64Array(B * Hout);
  const dc = new Float64Array(B * H);
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) dh[r * Hout + k] = dhN[b * Hout + k];
    if (dcN) for (let k = 0; k < H; k++) dc[r * H + k] = dcN[b * H + k];
  }
  const dA = new Float64Array(B * T * GH); // input-side pre-activation gradients, [B, T, G·H]
  const dG = new Float64Array(B * GH); // hidden-side pre-activation gradients of one step
  const hPrev = new Float64Array(B * Hout);
  const dWHh = new Float64Array(GH * Hout);
  const dBHh = new Float64Array(GH);
  const dWHr = wHr ? new Float64Array(Hout * H) : undefined;
  const dM = wHr ? new Float64Array(B * H) : undefined;
  const mStep = wHr ? new Float64Array(B * H) : undefined;
  const dq = gru && !lbr ? new Float64Array(B * H) : undefined;

  for (let s = T - 1; s >= 0; s--) {
    const na = active[s];
    if (na === 0) continue;
    for (let r = 0; r < na; r++) {
      const b = order[r];
      const t = timeIndex(L, r, s, attrs.reverse);
      const w = (s * B + r) * wsWidth;
      for (let k = 0; k < Hout; k++) {
        dh[r * Hout + k] += dyT[(b * T + t) * Hout + k];
        hPrev[r * Hout + k] = ws[w + wsWidth - Hout + k];
      }
    }
    if (lstm) {
      let dHidden = dh;
      if (wHr && dM && mStep && dWHr) {
        // Through the projection h = W_hr·m: dm = dh·W_hr, dW_hr += dhᵀ·m.
        for (let r = 0; r < na; r++) {
          const w = (s * B + r) * wsWidth;
          for (let k = 0; k < H; k++) mStep[r * H + k] = ws[w + 3 * H + k] * ws[w + 5 * H + k];
        }
        dM.fill(0, 0, na * H);
        gemm(
          na,
          H,
          Hout,
          { data: dh, offset: 0, rowStride: Hout, colStride: 1 },
          { data: wHr, offset: 0, rowStride: H, colStride: 1 },
          dM,
          0,
        );
        gemm(
          Hout,
          H,
          na,
          { data: dh, offset: 0, rowStride: 1, colStride: Hout },
          { data: mStep, offset: 0, rowStride: H, colStride: 1 },
          dWHr,
          0,
        );
        dHidden = dM;
      }
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (s * B + r) * wsWidth;
        const ao = (b * T + t) * GH;
        for (let k = 0; k < H; k++) {
          const gi = ws[w + k];
          const gf = ws[w + H + k];
          const gg = ws[w + 2 * H + k];
          const go = ws[w + 3 * H + k];
          const ac = ws[w + 5 * H + k];
          const cPrev = ws[w + 6 * H + k];
          const dm = dHidden[r * H + k];
          const dcTot = dc[r * H + k] + dm * go * actC.dy(ac);
          const dai = dcTot * gg * actA.dy(gi);
          const daf = dcTot * cPrev * actA.dy(gf);
          const dag = dcTot * gi * actB.dy(gg);
          const dao = dm * ac * actA.dy(go);
          dc[r * H + k] = dcTot * gf;
          const g = r * GH;
          dG[g + k] = dai;
          dG[g + H + k] = daf;
          dG[g + 2 * H + k] = dag;
          dG[g + 3 * H + k] = dao;
          dA[ao + k] = dai;
          dA[ao + H + k] = daf;
          dA[ao + 2 * H + k] = dag;
          dA[ao + 3 * H + k] = dao;
        }
      }
    } else if (gru) {
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (s * B + r) * wsWidth;
        const ao = (b * T + t) * GH;
        const g = r * GH;
        for (let k = 0; k < H; k++) {
          const gz = ws[w + H + k];
          const gn = ws[w + 2 * H + k];
          const d = dh[r * Hout + k];
          const dan = d * (1 - gz) * actB.dy(gn);
          const daz = d * (hPrev[r * Hout + k] - gn) * actA.dy(gz);
          dA[ao + H + k] = daz;
          dA[ao + 2 * H + k] = dan;
          dG[g + H + k] = daz;
          dG[g + 2 * H + k] = dan;
        }
      }
      if (lbr) {
        for (let r = 0; r < na; r++) {
          const b = order[r];
          const t = timeIndex(L, r, s, attrs.reverse);
          const w = (s * B + r) * wsWidth;
          const ao = (b * T + t) * GH;
          const g = r * GH;
          for (let k = 0; k < H; k++) {
            const gr = ws[w + k];
            const hn = ws[w + 3 * H + k];
            const dan = dG[g + 2 * H + k];
            const dar = dan * hn * actA.dy(gr);
            dA[ao + k] = dar;
            dG[g + k] = dar;
            dG[g + 2 * H + k] = dan * gr; // the recurrent product sits inside r ⊙ (W_hn h + b_hn)
          }
        }
      } else if (dq) {
        // Classic GRU: n = g(x_n + W_hn (r ⊙ h) + b_hn), so dq = dan·W_hn with q = r ⊙ h.
        dq.fill(0, 0, na * H);
        gemm(
          na,
          H,
          H,
          { data: dG, offset: 2 * H, rowStride: GH, colStride: 1 },
          { data: wHh, offset: 2 * H * Hout, rowStride: Hout, colStride: 1 },
          dq,
          0,
        );
        for (let r = 0; r < na; r++) {
          const b = order[r];
          const t = timeIndex(L, r, s, attrs.reverse);
          const w = (s * B + r) * wsWidth;
          const ao = (b * T + t) * GH;
          const g = r * GH;
          for (let k = 0; k < H; k++) {
            const gr = ws[w + k];
            const dar = dq[r * H + k] * hPrev[r * Hout + k] * actA.dy(gr);
            dA[ao + k] = dar;
            dG[g + k] = dar;
          }
        }
      }
    } else {
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (s * B + r) * wsWidth;
        const ao = (b * T + t) * GH;
        for (let k = 0; k < H; k++) {
          const da = dh[r * Hout + k] * actA.dy(ws[w + k]);
          dA[ao + k] = da;
          dG[r * GH + k] = da;
        }
      }
    }

    // Recurrent weights and bias: dW_hh += dGᵀ·h_prev, db_hh += Σ dG.
    for (let r = 0; r < na; r++) for (let j = 0; j < GH; j++) dBHh[j] += dG[r * GH + j];
    const classicGru = gru && !lbr;
    if (classicGru && dq) {
      // The candidate's recurrent weights saw q = r ⊙ h, not h.
      const q = mStepForClassicGru(ws, s, B, na, wsWidth, H, hPrev, Hout);
      gemm(
        2 * H,
        Hout,
        na,
        { data: dG, offset: 0, rowStride: 1, colStride: GH },
        { data: hPrev, offset: 0, rowStride: Hout, colStride: 1 },
        dWHh,
        0,
      );
      gemm(
        H,
        Hout,
        na,
        { data: dG, offset: 2 * H, rowStride: 1, colStride: GH },
        { data: q, offset: 0, rowStride: Hout, colStride: 1 },
        dWHh,
        2 * H * Hout,
      );
    } else {
      gemm(
        GH,
        Hout,
        na,
        { data: dG, offset: 0, rowStride: 1, colStride: GH },
        { data: hPrev, offset: 0, rowStride: Hout, colStride: 1 },
        dWHh,
        0,
      );
    }

    // dh_prev: the state's own path (GRU's z ⊙ h, classic GRU's r ⊙ dq) plus dG·W_hh.
    const dNext = new Float64Array(na * Hout);
    if (gru) {
      for (let r = 0; r < na; r++) {
        const w = (s * B + r) * wsWidth;
        for (let k = 0; k < H; k++) {
          dNext[r * Hout + k] = dh[r * Hout + k] * ws[w + H + k];
          if (dq) dNext[r * Hout + k] += dq[r * H + k] * ws[w + k];
        }
      }
    }
    gemm(
      na,
      Hout,
      classicGru ? 2 * H : GH,
      { data: dG, offset: 0, rowStride: GH, colStride: 1 },
      { data: wHh, offset: 0, rowStride: Hout, colStride: 1 },
      dNext,
      0,
    );
    dh.set(dNext);
  }

  // Input side, all steps at once: dx = dA·W_ih, dW_ih = dAᵀ·x, db_ih = Σ dA.
  const dx = new Float64Array(B * T * I);
  gemm(
    B * T,
    I,
    GH,
    { data: dA, offset: 0, rowStride: GH, colStride: 1 },
    { data: wIh, offset: 0, rowStride: I, colStride: 1 },
    dx,
    0,
  );
  const dWIh = new Float64Array(GH * I);
  gemm(
    GH,
    I,
    B * T,
    { data: dA, offset: 0, rowStride: 1, colStride: GH },
    { data: x, offset: 0, rowStride: I, colStride: 1 },
    dWIh,
    0,
  );
  const dBIh = new Float64Array(GH);
  for (let row = 0; row < B * T; row++) for (let j = 0; j < GH; j++) dBIh[j] += dA[row * GH + j];

  const dh0 = new Float64Array(B * Hout);
  const dc0 = lstm ? new Float64Array(B * H) : undefined;
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) dh0[b * Hout + k] = dh[r * Hout + k];
    if (dc0) for (let k = 0; k < H; k++) dc0[b * H + k] = dc[r * H + k];
  }
  const like = x;
  return {
    dx: toDType(dx, like),
    dh0: toDType(dh0, like),
    dc0: dc0 ? toDType(dc0, like) : undefined,
    dWIh: toDType(dWIh, like),
    dWHh: toDType(dWHh, like),
    dBIh: inputs.bIh ? toDType(dBIh, like) : undefined,
    dBHh: inputs.bHh ? toDType(dBHh, like) : undefined,
    dWHr: dWHr ? toDType(dWHr, like) : undefined,
  };
}

/** q = r ⊙ h_prev for the active rows of step s (classic GRU). */
function mStepForClassicGru(
  ws: Float64Array,
  s: number,
  B: number,
  na: number,
  wsWidth: number,
  H: number,
  hPrev: Float64Array,
  Hout: number,
): Float64Array {
  const q = new Float64Array(na * Hout);
  for (let r = 0; r < na; r++) {
    const w = (s * B + r) * wsWidth;
    for (let k = 0; k < H; k++) q[r * Hout + k] = ws[w + k] * hPrev[r * Hout + k];
  }
  return q;
}
