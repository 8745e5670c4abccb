import { add, matMul } from '@recur/tensor';
import type { CellSpec } from './cell-spec';

/** Elman's RNN (nn.RNN, keras SimpleRNN, ONNX RNN): h' = act(W_ih x + b_ih + W_hh h + b_hh). */
export const SIMPLE_RNN: CellSpec = {
  kind: 'rnn',
  gates: { torch: ['hidden'], keras: ['hidden'], onnx: ['hidden'] },
  states: ['h'],
  activations: ['tanh'],
  fused: 'rnn',
  names: { torch: 'RNN', keras: 'SimpleRNN', kerasCell: 'SimpleRNNCell', base: 'simple_rnn' },
  onnx: { op: 'RNN' },
  step(xw, [h], w, o) {
    let hw = matMul(o.recurrentInput ?? h, w.wHh, { transposeB: true });
    if (w.bHh) hw = add(hw, w.bHh);
    return [o.activations[0](add(xw, hw))];
  },
};
