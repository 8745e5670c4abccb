import type { RecurrentAttrs } from '@recur/backend-api';
import {
  add,
  cast,
  gather,
  greater,
  matMul,
  mul,
  reshape,
  slice,
  split,
  stack,
  sub,
  type Tensor,
  tensor,
  tidy,
  unsqueeze,
  where,
} from '@recur/tensor';
import { activation } from '../activations';
import type { RecurrentResult, RecurrentState, RecurrentWeights } from './recurrent-op';

/**
 * The recurrent layer written from primitives, one step at a time: the fallback for backends
 * without the fused kernel, the path for user cells, and the reference the fused kernel is
 * tested against. Autograd differentiates it like any other composition.
 */
export function composedRecurrent(
  x: Tensor,
  weights: RecurrentWeights,
  state: RecurrentState,
  attrs: RecurrentAttrs,
): RecurrentResult {
  return tidy(() => {
    const [B, T] = x.shape;
    const [fA, fB, fC] = attrs.activations.map((a) => activation(a));
    const lengths = state.seqLengths ? Array.from(state.seqLengths.dataSync()) : null;

    // Input projection for every step: [B, T, G·H].
    let xw = matMul(x, weights.wIh, { transposeB: true });
    if (weights.bIh) xw = add(xw, weights.bIh);
    const xwFlat = reshape(xw, [B * T, -1]);

    let h = state.h0;
    let c = state.c0;
    const ys: Tensor[] = [];
    for (let s = 0; s < T; s++) {
      // Which time step each sequence reads now, and whether it is still running.
      let xt: Tensor;
      let running: Tensor | null = null;
      if (lengths) {
        const rows = lengths.map((len, b) => b * T + Math.min(attrs.reverse ? Math.max(len - 1 - s, 0) : s, T - 1));
        xt = gather(xwFlat, tensor(rows, { dtype: 'int32' }), 0);
        running = unsqueeze(greater(tensor(lengths, { dtype: 'int32' }), s), 1);
      } else {
        const t = attrs.reverse ? T - 1 - s : s;
        xt = reshape(slice(xw, [0, t, 0], [B, 1, -1]), [B, -1]);
      }
      let hw = matMul(h, weights.wHh, { transposeB: true });
      let hNew: Tensor;
      let cNew: Tensor | undefined;
      if (attrs.kind === 'lstm') {
        if (weights.bHh) hw = add(hw, weights.bHh);
        const [i, f, g, o] = split(add(xt, hw), 4, 1);
        cNew = add(mul(fA(f), c as Tensor), mul(fA(i), fB(g)));
        hNew = mul(fA(o), fC(cNew));
        if (weights.wHr) hNew = matMul(hNew, weights.wHr, { transposeB: true });
      } else if (attrs.kind === 'gru') {
        const [xr, xz, xn] = split(xt, 3, 1);
        const [wr, wz, wn] = split(weights.wHh, 3, 0);
        const [br, bz, bn] = weights.bHh ? split(weights.bHh, 3, 0) : [null, null, null];
        const withBias = (v: Tensor, b: Tensor | null) => (b ? add(v, b) : v);
        const r = fA(add(xr, withBias(matMul(h, wr, { transposeB: true }), br)));
        const z = fA(add(xz, withBias(matMul(h, wz, { transposeB: true }), bz)));
        const hn = attrs.linearBeforeReset
          ? mul(r, withBias(matMul(h, wn, { transposeB: true }), bn))
          : withBias(matMul(mul(r, h), wn, { transposeB: true }), bn);
        const n = fB(add(xn, hn));
        hNew = add(mul(sub(1, z), n), mul(z, h));
      } else {
        if (weights.bHh) hw = add(hw, weights.bHh);
        hNew = fA(add(xt, hw));
      }
      if (running) {
        const cond = running;
        ys.push(where(cond, hNew, 0));
        h = where(cond, hNew, h);
        if (cNew && c) c = where(cond, cNew, c);
      } else {
        ys.push(hNew);
        h = hNew;
        c = cNew;
      }
    }

    let y: Tensor;
    if (!lengths) {
      y = stack(attrs.reverse ? ys.reverse() : ys, 1);
    } else {
      // ys[s] holds step s of each sequence; put it back at time position t (zeros past the end).
      const steps = reshape(stack(ys, 1), [B * T, -1]);
      const index: number[] = [];
      const valid: number[] = [];
      lengths.forEach((len, b) => {
        for (let t = 0; t < T; t++) {
          const s = attrs.reverse ? len - 1 - t : t;
          index.push(b * T + (t < len ? s : 0));
          valid.push(t < len ? 1 : 0);
        }
      });
      const picked = gather(steps, tensor(index, { dtype: 'int32' }), 0);
      y = reshape(mul(picked, cast(reshape(tensor(valid), [B * T, 1]), x.dtype)), [B, T, -1]);
    }
    return { y, hN: h, cN: attrs.kind === 'lstm' ? c : undefined };
  });
}
