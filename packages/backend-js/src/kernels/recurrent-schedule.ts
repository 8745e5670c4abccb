import {
  allocTypedArray,
  dtypeOfTypedArray,
  GATE_COUNT,
  type RecurrentAttrs,
  type RecurrentInputs,
  type TypedArray,
} from '@recur/backend-api';

/** Sizes and the processing order shared by the forward and backward recurrent kernels. */
export interface RecurrentSchedule {
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
  /** x and y are PyTorch-packed ([N, features], time t's rows from stepStart[t]) rather than [B, T, features]. */
  packed: boolean;
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

export function recurrentSchedule(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentSchedule {
  const packed = attrs.packedInput ?? false;
  if (packed && !inputs.seqLengths) throw new Error('backend-js: packed recurrent input needs seqLengths');
  const given = inputs.seqLengths?.data as TypedArray | undefined;
  // Packed: x is [N, I] and the lengths give B and T (the longest sequence).
  const [B, T, I] = packed
    ? [inputs.seqLengths?.shape[0] ?? 0, Math.max(0, ...(given ?? [])), inputs.x.shape[1]]
    : inputs.x.shape;
  const H = attrs.hiddenSize;
  const Hout = attrs.projSize > 0 ? attrs.projSize : H;
  const G = GATE_COUNT[attrs.kind];
  const lengths = new Int32Array(B).fill(T);
  if (given) lengths.set(given);
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
    packed,
  };
}

/**
 * The row of x and y (and of dy, dx) that sorted row `r` reads and writes at processing step `s`:
 * b·T + t in a [B, T, ·] batch; packed, the row of (r, t) in PyTorch's layout, whose time step t
 * starts at stepStart[t] with the running sequences in sorted order.
 */
export function dataRow(layout: RecurrentSchedule, r: number, s: number, reverse: boolean): number {
  const t = timeIndex(layout, r, s, reverse);
  return layout.packed ? layout.stepStart[t] + r : layout.order[r] * layout.T + t;
}

/** The time index row `r` (in sorted order) reads at processing step `s`. */
export function timeIndex(layout: RecurrentSchedule, r: number, s: number, reverse: boolean): number {
  return reverse ? layout.lengths[layout.order[r]] - 1 - s : s;
}

/**
 * Packed rows [N, width] (layout.packed) to a zero-padded [B, T, width] batch, for the
 * TypeScript kernels, which work on padded batches; `packRows` is the way back.
 */
export function unpackRows(data: TypedArray, layout: RecurrentSchedule, width: number): TypedArray {
  const { B, T, order, lengths, stepStart } = layout;
  const out = allocTypedArray(dtypeOfTypedArray(data), B * T * width);
  for (let r = 0; r < B; r++) {
    for (let t = 0; t < lengths[order[r]]; t++) {
      const src = (stepStart[t] + r) * width;
      out.set(data.subarray(src, src + width), (order[r] * T + t) * width);
    }
  }
  return out;
}

export function packRows(padded: TypedArray, layout: RecurrentSchedule, width: number): TypedArray {
  const { T, order, lengths, stepStart } = layout;
  const out = allocTypedArray(dtypeOfTypedArray(padded), stepStart[T] * width);
  for (let r = 0; r < order.length; r++) {
    for (let t = 0; t < lengths[order[r]]; t++) {
      const src = (order[r] * T + t) * width;
      out.set(padded.subarray(src, src + width), (stepStart[t] + r) * width);
    }
  }
  return out;
}
