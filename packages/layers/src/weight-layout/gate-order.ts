import { concat, split, type Tensor, tidy } from '@recur/tensor';
import { type CellSpec, cellSpec, GRU_CELL, LSTM_CELL, SIMPLE_RNN } from '../cells/index';

/**
 * Gate orders, written once, in each cell kind's spec (`CellSpec.gates`). Each framework stacks a
 * recurrent layer's gates along one axis of its weights in its own order; conversions between
 * them are a split and a concat in the other order, recorded like any op so gradients flow
 * through them.
 */
export const GATE_ORDERS: {
  /** LSTM: PyTorch i,f,g,o; Keras i,f,c,o; ONNX i,o,f,c. */
  readonly lstm: CellSpec['gates'];
  /** GRU: PyTorch r,z,n; Keras z,r,h; ONNX z,r,h. */
  readonly gru: CellSpec['gates'];
  /** SimpleRNN: one gate. */
  readonly rnn: CellSpec['gates'];
} = { lstm: LSTM_CELL.gates, gru: GRU_CELL.gates, rnn: SIMPLE_RNN.gates };

/** A framework's weight layout: PyTorch's, Keras', or ONNX's. */
export type GateLayout = 'torch' | 'keras' | 'onnx';

/** Reorders the gate blocks of `t` along `axis` from one framework's order to another's. */
export function reorderGates(
  t: Tensor,
  cell: string | CellSpec,
  axis: number,
  from: GateLayout,
  to: GateLayout,
): Tensor {
  const gates = cellSpec(cell).gates;
  const src: readonly string[] = gates[from];
  const dst: readonly string[] = gates[to];
  if (src.every((g, i) => g === dst[i])) return t;
  return tidy(() => {
    const parts = split(t, src.length, axis);
    return concat(
      dst.map((g) => parts[src.indexOf(g)]),
      axis,
    );
  });
}
