import { allocTypedArray, type RecurrentAttrs, type RecurrentInputs, type TypedArray } from '@recur/backend-api';
import { ACTIVATIONS, sigmoid } from './activations';
import { gemm, gemmPacked, packB } from './gemm';
import { type RecurrentSchedule, recurrentSchedule, selectRows, timeIndex } from './recurrent-schedule';

export interface RecurrentForwardResult {
  y: TypedArray;
  hN: TypedArray;
  cN?: TypedArray;
  workspace: Float64Array;
  layout: RecurrentSchedule;
}

const f64 = (t: { data: unknown } | undefined) => (t ? (t.data as TypedArray) : undefined);

/**
 * One recurrent layer, one direction, the whole sequence. The input projection of every time
 * step is one matrix product; the loop then does one [active×Hout]·[Hout×G·H] product per step
 * plus the gate arithmetic, over only the sequences still running (rows sorted by length).
 */
export function recurrentForward(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentForwardResult {
  const L = recurrentSchedule(inputs, attrs);
  const { B, T, I, H, Hout, GH, order, active, wsWidth } = L;
  const dtype = inputs.x.dtype;
  const x = f64(inputs.x) as TypedArray;
  const wIh = f64(inputs.wIh) as TypedArray;
  const wHh = f64(inputs.wHh) as TypedArray;
  const bIh = f64(inputs.bIh);
  const bHh = f64(inputs.bHh);
  const wHr = f64(inputs.wHr);
  const lstm = attrs.kind === 'lstm';
  const gru = attrs.kind === 'gru';

  // Input projection for all real steps at once: xw[row(b, t), :] = x[b, t, :] · W_ihᵀ + b_ih.
  const N = L.realRows.length;
  const xReal = selectRows(x, L.realRows, I, B * T);
  const xw = new Float64Array(N * GH);
  gemm(
    N,
    GH,
    I,
    { data: xReal, offset: 0, rowStride: I, colStride: 1 },
    { data: wIh, offset: 0, rowStride: 1, colStride: I },
    xw,
    0,
  );
  if (bIh) for (let row = 0; row < N; row++) for (let j = 0; j < GH; j++) xw[row * GH + j] += bIh[j];

  // State in sorted row order.
  const h = new Float64Array(B * Hout);
  const c = new Float64Array(B * H);
  const h0 = f64(inputs.h0) as TypedArray;
  const c0 = f64(inputs.c0);
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) h[r * Hout + k] = h0[b * Hout + k];
    if (c0) for (let k = 0; k < H; k++) c[r * H + k] = c0[b * H + k];
  }

  const y = allocTypedArray(dtype, B * T * Hout);
  // Inference keeps one step of scratch instead of the whole workspace backward would need.
  const save = attrs.saveForBackward ?? true;
  const ws = new Float64Array((save ? L.realRows.length : B) * wsWidth);
  const hw = new Float64Array(B * GH);
  const m = lstm && wHr ? new Float64Array(B * H) : null;
  const [actA, actB, actC] = attrs.activations.map((a) => ACTIVATIONS[a]);
  const standard = attrs.activations.every((a, i) => a === (i === 0 ? 'sigmoid' : 'tanh'));
  // The recurrent weights are packed once and reused by every step's product.
  const whhT = packB(Hout, GH, { data: wHh, offset: 0, rowStride: 1, colStride: Hout });
  const whrT = wHr ? packB(H, Hout, { data: wHr, offset: 0, rowStride: 1, colStride: H }) : null;

  for (let s = 0; s < T; s++) {
    const na = active[s];
    if (na === 0) break;
    hw.fill(0, 0, na * GH);
    gemmPacked(na, { data: h, offset: 0, rowStride: Hout, colStride: 1 }, whhT, hw, 0);
    for (let r = 0; r < na; r++) {
      const b = order[r];
      const t = timeIndex(L, r, s, attrs.reverse);
      const xo = L.rowOf[b * T + t] * GH;
      const ho = r * GH;
      const w = ((save ? L.stepStart[s] : 0) + r) * wsWidth;
      // Previous state goes to the workspace first: backward needs it.
      for (let k = 0; k < Hout; k++) ws[w + wsWidth - Hout + k] = h[r * Hout + k];
      if (lstm) {
        for (let k = 0; k < H; k++) {
          const bi = bHh ? bHh[k] : 0;
          const bf = bHh ? bHh[H + k] : 0;
          const bg = bHh ? bHh[2 * H + k] : 0;
          const bo = bHh ? bHh[3 * H + k] : 0;
          const zi = xw[xo + k] + hw[ho + k] + bi;
          const zf = xw[xo + H + k] + hw[ho + H + k] + bf;
          const zg = xw[xo + 2 * H + k] + hw[ho + 2 * H + k] + bg;
          const zo = xw[xo + 3 * H + k] + hw[ho + 3 * H + k] + bo;
          // The default activations are called directly so the JIT can inline them.
          const gi = standard ? sigmoid(zi) : actA.fn(zi);
          const gf = standard ? sigmoid(zf) : actA.fn(zf);
          const gg = standard ? Math.tanh(zg) : actB.fn(zg);
          const go = standard ? sigmoid(zo) : actA.fn(zo);
          const cPrev = c[r * H + k];
          const cNew = gf * cPrev + gi * gg;
          const ac = standard ? Math.tanh(cNew) : actC.fn(cNew);
          ws[w + k] = gi;
          ws[w + H + k] = gf;
          ws[w + 2 * H + k] = gg;
          ws[w + 3 * H + k] = go;
          ws[w + 4 * H + k] = cNew;
          ws[w + 5 * H + k] = ac;
          ws[w + 6 * H + k] = cPrev;
          c[r * H + k] = cNew;
          if (m) m[r * H + k] = go * ac;
          else h[r * Hout + k] = go * ac;
        }
      } else if (gru) {
        for (let k = 0; k < H; k++) {
          const br = bHh ? bHh[k] : 0;
          const bz = bHh ? bHh[H + k] : 0;
          const bn = bHh ? bHh[2 * H + k] : 0;
          const gr = actA.fn(xw[xo + k] + hw[ho + k] + br);
          const gz = actA.fn(xw[xo + H + k] + hw[ho + H + k] + bz);
          ws[w + k] = gr;
          ws[w + H + k] = gz;
          ws[w + 3 * H + k] = hw[ho + 2 * H + k] + bn;
        }
        if (!attrs.linearBeforeReset) {
          // Classic GRU: the reset gate scales h before the recurrent product of the candidate.
          for (let k = 0; k < H; k++) {
            let acc = bHh ? bHh[2 * H + k] : 0;
            const row = (2 * H + k) * Hout;
            for (let q = 0; q < Hout; q++) acc += wHh[row + q] * ws[w + q] * h[r * Hout + q];
            ws[w + 3 * H + k] = acc;
          }
        }
        for (let k = 0; k < H; k++) {
          const gr = ws[w + k];
          const gz = ws[w + H + k];
          const hn = ws[w + 3 * H + k];
          const gn = actB.fn(xw[xo + 2 * H + k] + (attrs.linearBeforeReset ? gr * hn : hn));
          ws[w + 2 * H + k] = gn;
          h[r * Hout + k] = (1 - gz) * gn + gz * h[r * Hout + k];
        }
      } else {
        for (let k = 0; k < H; k++) {
          const v = actA.fn(xw[xo + k] + hw[ho + k] + (bHh ? bHh[k] : 0));
          ws[w + k] = v;
          h[r * Hout + k] = v;
        }
      }
    }
    if (m && whrT) {
      // LSTM projection: h = W_hr · (o ⊙ act(c)).
      h.fill(0, 0, na * Hout);
      gemmPacked(na, { data: m, offset: 0, rowStride: H, colStride: 1 }, whrT, h, 0);
    }
    for (let r = 0; r < na; r++) {
      const b = order[r];
      const t = timeIndex(L, r, s, attrs.reverse);
      const yo = (b * T + t) * Hout;
      for (let k = 0; k < Hout; k++) y[yo + k] = h[r * Hout + k];
    }
  }

  const hN = allocTypedArray(dtype, B * Hout);
  const cN = lstm ? allocTypedArray(dtype, B * H) : undefined;
  for (let r = 0; r < B; r++) {
    const b = order[r];
    for (let k = 0; k < Hout; k++) hN[b * Hout + k] = h[r * Hout + k];
    if (cN) for (let k = 0; k < H; k++) cN[b * H + k] = c[r * H + k];
  }
  return { y, hN, cN, workspace: ws, layout: L };
}
