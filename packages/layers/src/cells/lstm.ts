import { add, matMul, mul, split } from '@recur/tensor';
import type { CellSpec } from './cell-spec';

/**
 * The LSTM (nn.LSTM, keras LSTM, ONNX LSTM), PyTorch's gates i, f, g, o:
 * c' = f⊙c + i⊙g, h' = o⊙tanh(c') (times W_hrᵀ with PyTorch's projection).
 */
export const LSTM_CELL: CellSpec = {
  kind: 'lstm',
  gates: {
    torch: ['input', 'forget', 'cell', 'output'],
    keras: ['input', 'forget', 'cell', 'output'],
    onnx: ['input', 'output', 'forget', 'cell'],
  },
  states: ['h', 'c'],
  activations: ['sigmoid', 'tanh', 'tanh'],
  fused: 'lstm',
  names: { torch: 'LSTM', keras: 'LSTM', kerasCell: 'LSTMCell', base: 'lstm' },
  forgetGate: 'forget',
  onnx: { op: 'LSTM' },
  step(xw, [h, c], w, o) {
    const [f, g, hAct] = o.activations;
    let hw = matMul(o.recurrentInput ?? h, w.wHh, { transposeB: true });
    if (w.bHh) hw = add(hw, w.bHh);
    const [i, fg, gg, og] = split(add(xw, hw), 4, 1);
    const cNew = add(mul(f(fg), c), mul(f(i), g(gg)));
    let hNew = mul(f(og), hAct(cNew));
    if (w.wHr) hNew = matMul(hNew, w.wHr, { transposeB: true });
    return [hNew, cNew];
  },
};
