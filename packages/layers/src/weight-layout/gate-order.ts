import { concat, split, type Tensor, tidy } from '@recur/tensor';

/**
 * Gate orders, written once. Each framework stacks a recurrent layer's gates along one axis of
 * its weights in its own order; conversions between them are a split and a concat in the other
 * order, recorded like any op so gradients flow through them.
 */
export const GATE_ORDERS = {
  lstm: {
    torch: ['input', 'forget', 'cell', 'output'],
    keras: ['input', 'forget', 'cell', 'output'],
    onnx: ['input', 'output', 'forget', 'cell'],
  },
  gru: {
    torch: ['reset', 'update', 'new'],
    keras: ['update', 'reset', 'new'],
    onnx: ['update', 'reset', 'new'],
  },
  rnn: { torch: ['hidden'], keras: ['hidden'], onnx: ['hidden'] },
} as const;

export type GateLayout = 'torch' | 'keras' | 'onnx';

/** Reorders the gate blocks of `t` along `axis` from one framework's order to another's. */
export function reorderGates(
  t: Tensor,
  kind: keyof typeof GATE_ORDERS,
  axis: number,
  from: GateLayout,
  to: GateLayout,
): Tensor {
  const src: readonly string[] = GATE_ORDERS[kind][from];
  const dst: readonly string[] = GATE_ORDERS[kind][to];
  if (src.every((g, i) => g === dst[i])) return t;
  return tidy(() => {
    const parts = split(t, src.length, axis);
    return concat(
      dst.map((g) => parts[src.indexOf(g)]),
      axis,
    );
  });
}
