// One thread's share of a recurrent step split by hidden units rather than by rows: for a batch
// too small to split its rows (one sequence, token by token), each thread owns units [u0, u0+Hu),
// multiplies h by only its units' columns of W_hh (and of W_ih when it projects the input here)
// and runs their gates. Each thread then streams a fraction of the weights every step, a fraction
// small enough to stay in its core's cache from one step to the next. h is double-buffered (every
// thread reads all of h_prev while others write their units of h); c is per unit and stays put.
import { gemm, gemmScratchSize } from './gemm';
import { gruGates, lstmGates, rnnGates } from './recurrent';

/** Scratch bytes one thread needs: gemm's, then its rows of the recurrent and input products. */
export function unitsScratchSize(na: i32, G: i32, Hu: i32): i32 {
  return gemmScratchSize() + 2 * (((na * G * Hu + 3) >> 2) << 4);
}

/**
 * This thread's recurrent product hw [na × G·Hu] = h_prev · W_hh(units)ᵀ, and its input side:
 * with `packedIh`, xw = x · W_ih(units)ᵀ + b_ih(units) computed here into scratch (gates Hu apart);
 * else the precomputed projection's columns from `xw` (rows of G·H, gates H apart). Returns the
 * pointer to use and writes its gate spacing to `xGateOut`.
 */
function products(
  na: i32,
  G: i32,
  H: i32,
  Hu: i32,
  u0: i32,
  I: i32,
  hIn: usize,
  packedHh: usize,
  packedIh: usize,
  px: usize,
  bih: usize,
  xw: usize,
  scratch: usize,
): usize {
  const GHu = G * Hu;
  const hw = scratch + <usize>gemmScratchSize();
  gemm(na, GHu, H, hIn, H, 1, packedHh, hw, GHu, 0, scratch);
  if (!packedIh) return xw + (<usize>u0 << 2);
  const x = hw + (<usize>(((na * GHu + 3) >> 2) << 4));
  if (bih) {
    for (let r = 0; r < na; r++) {
      for (let g = 0; g < G; g++) {
        memory.copy(x + (<usize>(r * GHu + g * Hu) << 2), bih + (<usize>(g * H + u0) << 2), <usize>Hu << 2);
      }
    }
  }
  gemm(na, GHu, I, px, I, 1, packedIh, x, GHu, bih ? 1 : 0, scratch);
  return x;
}

/**
 * An LSTM step for units [u0, u0+Hu) of rows [0, na): packedHh / packedIh are this thread's units'
 * columns, gates in order (packedIh 0: the projection was done for all steps, `xw`, rows of 4H).
 * bhh (all 4H) may be 0; ws receives these units of each row's workspace when not 0.
 */
export function lstmUnits(
  na: i32,
  H: i32,
  Hu: i32,
  u0: i32,
  I: i32,
  hIn: usize,
  hOut: usize,
  c: usize,
  packedHh: usize,
  packedIh: usize,
  px: usize,
  bih: usize,
  bhh: usize,
  xw: usize,
  scratch: usize,
  ws: usize,
  wsW: i32,
): void {
  const x = products(na, 4, H, Hu, u0, I, hIn, packedHh, packedIh, px, bih, xw, scratch);
  const xRow = packedIh ? 4 * Hu : 4 * H;
  const xGate = packedIh ? Hu : H;
  const u = <usize>u0 << 2;
  const hw = scratch + <usize>gemmScratchSize();
  lstmGates(na, Hu, H, x, xRow, xGate, hw, 4 * Hu, bhh ? bhh + u : 0, c + u, hIn + u, hOut + u, ws ? ws + u : 0, wsW);
}

/** A GRU step for units [u0, u0+Hu), as lstmUnits. */
export function gruUnits(
  na: i32,
  H: i32,
  Hu: i32,
  u0: i32,
  I: i32,
  hIn: usize,
  hOut: usize,
  packedHh: usize,
  packedIh: usize,
  px: usize,
  bih: usize,
  bhh: usize,
  xw: usize,
  scratch: usize,
  ws: usize,
  wsW: i32,
): void {
  const x = products(na, 3, H, Hu, u0, I, hIn, packedHh, packedIh, px, bih, xw, scratch);
  const xRow = packedIh ? 3 * Hu : 3 * H;
  const xGate = packedIh ? Hu : H;
  const u = <usize>u0 << 2;
  const hw = scratch + <usize>gemmScratchSize();
  gruGates(na, Hu, H, x, xRow, xGate, hw, 3 * Hu, bhh ? bhh + u : 0, hIn + u, hOut + u, ws ? ws + u : 0, wsW);
}

/** An Elman RNN (tanh) step for units [u0, u0+Hu), as lstmUnits. */
export function rnnUnits(
  na: i32,
  H: i32,
  Hu: i32,
  u0: i32,
  I: i32,
  hIn: usize,
  hOut: usize,
  packedHh: usize,
  packedIh: usize,
  px: usize,
  bih: usize,
  bhh: usize,
  xw: usize,
  scratch: usize,
  ws: usize,
  wsW: i32,
): void {
  const x = products(na, 1, H, Hu, u0, I, hIn, packedHh, packedIh, px, bih, xw, scratch);
  const xRow = packedIh ? Hu : H;
  const u = <usize>u0 << 2;
  const hw = scratch + <usize>gemmScratchSize();
  rnnGates(na, Hu, H, x, xRow, hw, Hu, bhh ? bhh + u : 0, hIn + u, hOut + u, ws ? ws + u : 0, wsW);
}
