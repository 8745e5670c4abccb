import type { Tensor } from '@recur/tensor';
import { add, argMax, matMul, oneHot, reshape, slice, tanh, tensor, tidy } from '@recur/tensor';
import hello from '../../../fixtures/keras/keras_hello_rnn.json';

export interface HelloResult {
  /** Hidden state after each input character, [T][units]. */
  hidden: number[][];
  /** Dense logits after each input character, [T][vocab]. */
  logits: number[][];
  /** The argmax character after each input character. */
  predicted: string[];
}

/**
 * The Keras "hello" walk-through: a SimpleRNN(3) + Dense(5) with given weights reads the one-hot
 * characters h, e, l, l, o and predicts the next one at each step. The weights are the fixture's,
 * in Keras layout (kernel [in, units]), so h_t = tanh(x_t·K + h_{t-1}·R + b).
 */
export function runHello(): HelloResult {
  const vocab = hello.vocab;
  return tidy(() => {
    const kernel = tensor(hello.weights['rnn.kernel']);
    const recurrent = tensor(hello.weights['rnn.recurrent_kernel']);
    const bias = tensor(hello.weights['rnn.bias']);
    const denseKernel = tensor(hello.weights['dense.kernel']);
    const denseBias = tensor(hello.weights['dense.bias']);
    const ids = tensor(
      hello.input_text.map((c) => vocab.indexOf(c)),
      { dtype: 'int32' },
    );
    const x = oneHot(ids, vocab.length); // [T, vocab]
    let h: Tensor = reshape(tensor(hello.initial_state), [1, -1]);
    const hidden: number[][] = [];
    const logits: number[][] = [];
    const predicted: string[] = [];
    for (let t = 0; t < ids.size; t++) {
      const xt = slice(x, [t, 0], [1, -1]);
      h = tanh(add(add(matMul(xt, kernel), matMul(h, recurrent)), bias));
      const out = add(matMul(h, denseKernel), denseBias);
      hidden.push(Array.from(h.dataSync()));
      logits.push(Array.from(out.dataSync()));
      predicted.push(vocab[argMax(out, -1).dataSync()[0]]);
    }
    return { hidden, logits, predicted };
  });
}
