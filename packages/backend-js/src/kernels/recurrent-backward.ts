import { allocTypedArray, type RecurrentAttrs, type RecurrentInputs, type TypedArray } from '@recur/backend-api';
import { ACTIVATIONS } from './activations';
import { gemm, gemmPacked, packB } from './gemm';
import { type RecurrentSchedule, selectRows, timeIndex } from './recurrent-schedule';

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

/** Column sums of a row-major [rows, cols] matrix (bias gradients). */
function columnSums(m: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] += m[r * cols + j];
  return out;
}

/**
 * Backpropagation through time for `recurrentForward`, walking the steps in reverse. The only
 * per-step product is dh_prev = dG·W_hh (W_hh packed once); every weight gradient is one product
 * over all steps at the end, from the per-step gradients gathered on the way.
 */
export function recurrentBackward(
  inputs: RecurrentInputs,
  attrs: RecurrentAttrs,
  L: RecurrentSchedule,
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
  const classicGru = gru && !attrs.linearBeforeReset;
  const [actA, actB, actC] = attrs.activations.map((a) => ACTIVATIONS[a]);
  const hPrevAt = wsWidth - Hout; // where h_prev sits in a workspace row

  const dh = new Float64Array(B * Hout);
  const dc = new Float64Array(B * H);
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) dh[r * Hout + k] = dhN[b * Hout + k];
    if (dcN) for (let k = 0; k < H; k++) dc[r * H + k] = dcN[b * H + k];
  }
  const N = L.realRows.length;
  const dA = new Float64Array(N * GH); // input side, one row per real (b, t)
  const dG = new Float64Array(N * GH); // hidden side: each step's active rows, step after step
  const q = classicGru ? new Float64Array(N * H) : null; // classic GRU: r ⊙ h_prev per step
  const dhProj = wHr ? new Float64Array(N * Hout) : null; // LSTM projection: dh and m per step
  const mAll = wHr ? new Float64Array(N * H) : null;
  const dM = wHr ? new Float64Array(B * H) : null;
  const dq = classicGru ? new Float64Array(B * H) : null;
  const dNext = new Float64Array(B * Hout);

  // Products reused every step, packed once.
  const recurrent = packB(classicGru ? 2 * H : GH, Hout, { data: wHh, offset: 0, rowStride: Hout, colStride: 1 });
  const candidate = classicGru ? packB(H, H, { data: wHh, offset: 2 * H * Hout, rowStride: Hout, colStride: 1 }) : null;
  const projection = wHr ? packB(Hout, H, { data: wHr, offset: 0, rowStride: H, colStride: 1 }) : null;

  for (let s = T - 1; s >= 0; s--) {
    const na = active[s];
    if (na === 0) continue;
    const step = L.stepStart[s];
    for (let r = 0; r < na; r++) {
      const b = order[r];
      const t = timeIndex(L, r, s, attrs.reverse);
      for (let k = 0; k < Hout; k++) dh[r * Hout + k] += dyT[(b * T + t) * Hout + k];
    }
    if (lstm) {
      let dHidden = dh;
      if (projection && dM && dhProj && mAll) {
        // Through h = W_hr·m: dm = dh·W_hr; dW_hr gets dhᵀ·m at the end.
        dM.fill(0, 0, na * H);
        gemmPacked(na, { data: dh, offset: 0, rowStride: Hout, colStride: 1 }, projection, dM, 0);
        dhProj.set(dh.subarray(0, na * Hout), step * Hout);
        for (let r = 0; r < na; r++) {
          const w = (step + r) * wsWidth;
          for (let k = 0; k < H; k++) mAll[(step + r) * H + k] = ws[w + 3 * H + k] * ws[w + 5 * H + k];
        }
        dHidden = dM;
      }
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (step + r) * wsWidth;
        const ao = L.rowOf[b * T + t] * GH;
        const g = (step + r) * GH;
        for (let k = 0; k < H; k++) {
          const gi = ws[w + k];
          const gf = ws[w + H + k];
          const gg = ws[w + 2 * H + k];
          const go = ws[w + 3 * H + k];
          const ac = ws[w + 5 * H + k];
          const dm = dHidden[r * H + k];
          const dcTot = dc[r * H + k] + dm * go * actC.dy(ac);
          const dai = dcTot * gg * actA.dy(gi);
          const daf = dcTot * ws[w + 6 * H + k] * actA.dy(gf);
          const dag = dcTot * gi * actB.dy(gg);
          const dao = dm * ac * actA.dy(go);
          dc[r * H + k] = dcTot * gf;
          dG[g + k] = dA[ao + k] = dai;
          dG[g + H + k] = dA[ao + H + k] = daf;
          dG[g + 2 * H + k] = dA[ao + 2 * H + k] = dag;
          dG[g + 3 * H + k] = dA[ao + 3 * H + k] = dao;
        }
      }
    } else if (gru) {
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (step + r) * wsWidth;
        const ao = L.rowOf[b * T + t] * GH;
        const g = (step + r) * GH;
        for (let k = 0; k < H; k++) {
          const gz = ws[w + H + k];
          const gn = ws[w + 2 * H + k];
          const d = dh[r * Hout + k];
          const dan = d * (1 - gz) * actB.dy(gn);
          const daz = d * (ws[w + hPrevAt + k] - gn) * actA.dy(gz);
          dG[g + H + k] = dA[ao + H + k] = daz;
          dA[ao + 2 * H + k] = dan;
          if (classicGru) {
            dG[g + 2 * H + k] = dan;
          } else {
            // n = g(x_n + r ⊙ (W_hn h + b_hn)): the recurrent product sits inside the reset gate.
            const gr = ws[w + k];
            const hn = ws[w + 3 * H + k];
            dG[g + k] = dA[ao + k] = dan * hn * actA.dy(gr);
            dG[g + 2 * H + k] = dan * gr;
          }
        }
      }
      if (candidate && dq && q) {
        // Classic GRU: n = g(x_n + W_hn (r ⊙ h) + b_hn), so dq = dan·W_hn with q = r ⊙ h.
        dq.fill(0, 0, na * H);
        gemmPacked(na, { data: dG, offset: step * GH + 2 * H, rowStride: GH, colStride: 1 }, candidate, dq, 0);
        for (let r = 0; r < na; r++) {
          const b = order[r];
          const t = timeIndex(L, r, s, attrs.reverse);
          const w = (step + r) * wsWidth;
          const ao = L.rowOf[b * T + t] * GH;
          for (let k = 0; k < H; k++) {
            const gr = ws[w + k];
            const hp = ws[w + hPrevAt + k];
            q[(step + r) * H + k] = gr * hp;
            dG[(step + r) * GH + k] = dA[ao + k] = dq[r * H + k] * hp * actA.dy(gr);
          }
        }
      }
    } else {
      for (let r = 0; r < na; r++) {
        const b = order[r];
        const t = timeIndex(L, r, s, attrs.reverse);
        const w = (step + r) * wsWidth;
        const ao = L.rowOf[b * T + t] * GH;
        for (let k = 0; k < H; k++) dG[(step + r) * GH + k] = dA[ao + k] = dh[r * Hout + k] * actA.dy(ws[w + k]);
      }
    }

    // dh_prev: the state's own path (GRU's z ⊙ dh, classic GRU's r ⊙ dq) plus dG·W_hh.
    dNext.fill(0, 0, na * Hout);
    if (gru) {
      for (let r = 0; r < na; r++) {
        const w = (step + r) * wsWidth;
        for (let k = 0; k < H; k++) {
          dNext[r * Hout + k] = dh[r * Hout + k] * ws[w + H + k] + (dq ? dq[r * H + k] * ws[w + k] : 0);
        }
      }
    }
    gemmPacked(na, { data: dG, offset: step * GH, rowStride: GH, colStride: 1 }, recurrent, dNext, 0);
    dh.set(dNext.subarray(0, na * Hout));
  }

  // Recurrent weights over all steps at once: dW_hh = dGᵀ·h_prev (classic GRU: the candidate rows see q).
  const rows = N;
  const dWHh = new Float64Array(GH * Hout);
  const hPrevAll = { data: ws, offset: hPrevAt, rowStride: wsWidth, colStride: 1 };
  const gateRows = classicGru ? 2 * H : GH;
  gemm(gateRows, Hout, rows, { data: dG, offset: 0, rowStride: 1, colStride: GH }, hPrevAll, dWHh, 0);
  if (q) {
    const qAll = { data: q, offset: 0, rowStride: H, colStride: 1 };
    gemm(H, Hout, rows, { data: dG, offset: 2 * H, rowStride: 1, colStride: GH }, qAll, dWHh, 2 * H * Hout);
  }
  const dBHh = columnSums(dG, rows, GH);
  let dWHr: Float64Array | undefined;
  if (dhProj && mAll) {
    dWHr = new Float64Array(Hout * H);
    gemm(
      Hout,
      H,
      rows,
      { data: dhProj, offset: 0, rowStride: 1, colStride: Hout },
      { data: mAll, offset: 0, rowStride: H, colStride: 1 },
      dWHr,
      0,
    );
  }

  // Input side, all real steps at once: dx = dA·W_ih, dW_ih = dAᵀ·x, db_ih = Σ dA.
  const dxReal = new Float64Array(N * I);
  const wIhRows = { data: wIh, offset: 0, rowStride: I, colStride: 1 };
  gemm(N, I, GH, { data: dA, offset: 0, rowStride: GH, colStride: 1 }, wIhRows, dxReal, 0);
  const dx = N === B * T ? dxReal : new Float64Array(B * T * I);
  if (dx !== dxReal) L.realRows.forEach((row, i) => dx.set(dxReal.subarray(i * I, (i + 1) * I), row * I));
  const dWIh = new Float64Array(GH * I);
  const xReal = { data: selectRows(x, L.realRows, I, B * T), offset: 0, rowStride: I, colStride: 1 };
  gemm(GH, I, N, { data: dA, offset: 0, rowStride: 1, colStride: GH }, xReal, dWIh, 0);
  const dBIh = columnSums(dA, N, GH);

  const dh0 = new Float64Array(B * Hout);
  const dc0 = lstm ? new Float64Array(B * H) : undefined;
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) dh0[b * Hout + k] = dh[r * Hout + k];
    if (dc0) for (let k = 0; k < H; k++) dc0[b * H + k] = dc[r * H + k];
  }
  return {
    dx: toDType(dx, x),
    dh0: toDType(dh0, x),
    dc0: dc0 ? toDType(dc0, x) : undefined,
    dWIh: toDType(dWIh, x),
    dWHh: toDType(dWHh, x),
    dBIh: inputs.bIh ? toDType(dBIh, x) : undefined,
    dBHh: inputs.bHh ? toDType(dBHh, x) : undefined,
    dWHr: dWHr ? toDType(dWHr, x) : undefined,
  };
}
