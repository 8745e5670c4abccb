import { add, matMul, mul, split, sub, type Tensor } from '@recur/tensor';
import type { CellSpec } from './cell-spec';

/**
 * The GRU (nn.GRU, keras GRU, ONNX GRU), PyTorch's gates r, z, n: h' = (1 − z)⊙n + z⊙h with
 * n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)) (`linearBeforeReset`, PyTorch and Keras'
 * resetAfter) or n = tanh(W_in x + b_in + W_hn (r⊙h) + b_hn) (classic Keras).
 */
export const GRU_CELL: CellSpec = {
  kind: 'gru',
  gates: { torch: ['reset', 'update', 'new'], keras: ['update', 'reset', 'new'], onnx: ['update', 'reset', 'new'] },
  states: ['h'],
  activations: ['sigmoid', 'tanh'],
  fused: 'gru',
  names: { torch: 'GRU', keras: 'GRU', kerasCell: 'GRUCell', base: 'gru' },
  resetAfter: true,
  onnx: { op: 'GRU' },
  step(xw, [h], w, o) {
    const [f, g] = o.activations;
    const hr = o.recurrentInput ?? h;
    const [xr, xz, xn] = split(xw, 3, 1);
    const [wr, wz, wn] = split(w.wHh, 3, 0);
    const [br, bz, bn] = w.bHh ? split(w.bHh, 3, 0) : [null, null, null];
    const withBias = (v: Tensor, b: Tensor | null) => (b ? add(v, b) : v);
    const r = f(add(xr, withBias(matMul(hr, wr, { transposeB: true }), br)));
    const z = f(add(xz, withBias(matMul(hr, wz, { transposeB: true }), bz)));
    const hn = o.linearBeforeReset
      ? mul(r, withBias(matMul(hr, wn, { transposeB: true }), bn))
      : withBias(matMul(mul(r, hr), wn, { transposeB: true }), bn);
    const n = g(add(xn, hn));
    return [add(mul(sub(1, z), n), mul(z, h))];
  },
};
