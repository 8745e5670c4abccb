import { GATE_COUNT, type RecurrentAttrs, type RecurrentInputs, type TypedArray } from '@recur/backend-api';

/** Sizes and the processing order shared by the forward and backward recurrent kernels. */
export interface RecurrentLayout {
  B: number;
  T: number;
  I: number;
  H: number;
  /** Output/state size: projSize when projecting, else H. */
  Hout: number;
  G: number;
  GH: number;
  /** Batch indices sorted by length, longest first: at step s the active rows are a prefix. */
  order: Int32Array;
  lengths: Int32Array;
  /** Number of active rows at each processing step. */
  active: Int32Array;
  /** Where step s's active rows start in per-step buffers laid out step after step (workspace, gradients). */
  stepStart: Int32Array;
  /** Floats per (step, row) in the workspace. */
  wsWidth: number;
  /** The real (b, t) positions, as b·T + t in order; the input side works on these rows only. */
  realRows: Int32Array;
  /** b·T + t → its index in realRows, or -1 for padding. */
  rowOf: Int32Array;
}

/** Copies the given rows of a row-major [*, width] matrix (all of them: the matrix itself). */
export function selectRows(m: TypedArray, rows: Int32Array, width: number, total: number): TypedArray {
  if (rows.length === total) return m;
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * width;
    for (let k = 0; k < width; k++) out[i * width + k] = m[src + k];
  }
  return out;
}

export function recurrentLayout(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentLayout {
  const [B, T, I] = inputs.x.shape;
  const H = attrs.hiddenSize;
  const Hout = attrs.projSize > 0 ? attrs.projSize : H;
  const G = GATE_COUNT[attrs.kind];
  const lengths = new Int32Array(B).fill(T);
  if (inputs.seqLengths) lengths.set(inputs.seqLengths.data as TypedArray);
  const order = Int32Array.from([...Array(B).keys()].sort((a, b) => lengths[b] - lengths[a] || a - b));
  const active = new Int32Array(T);
  for (let s = 0; s < T; s++) {
    let n = 0;
    while (n < B && lengths[order[n]] > s) n++;
    active[s] = n;
  }
  let wsWidth: number;
  if (attrs.kind === 'lstm')
    wsWidth = 4 * H + 3 * H + Hout; // gates, c, act(c), c_prev, h_prev
  else if (attrs.kind === 'gru')
    wsWidth = 4 * H + Hout; // r, z, n, W_hn h + b_hn, h_prev
  else wsWidth = H + Hout; // h, h_prev
  const rowOf = new Int32Array(B * T).fill(-1);
  const real: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      rowOf[b * T + t] = real.length;
      real.push(b * T + t);
    }
  }
  const stepStart = new Int32Array(T + 1);
  for (let s = 0; s < T; s++) stepStart[s + 1] = stepStart[s] + active[s];
  return {
    B,
    T,
    I,
    H,
    Hout,
    G,
    GH: G * H,
    order,
    lengths,
    active,
    stepStart,
    wsWidth,
    realRows: Int32Array.from(real),
    rowOf,
  };
}

/** The time index row `r` (in sorted order) reads at processing step `s`. */
export function timeIndex(layout: RecurrentLayout, r: number, s: number, reverse: boolean): number {
  return reverse ? layout.lengths[layout.order[r]] - 1 - s : s;
}
