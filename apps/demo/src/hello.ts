import * as keras from '@recur/keras';
import { argMax, oneHot, type Tensor, tensor, tidy } from '@recur/tensor';
import hello from '../../../fixtures/keras/keras_hello_rnn.json';

export interface HelloResult {
  /** Hidden state after each input character, [T][units]. */
  hidden: number[][];
  /** Dense logits after each input character, [T][vocab]. */
  logits: number[][];
  /** The argmax character after each input character. */
  predicted: string[];
}

const rows = (t: Tensor, width: number): number[][] => {
  const v = Array.from(t.dataSync());
  return Array.from({ length: v.length / width }, (_, i) => v.slice(i * width, (i + 1) * width));
};

/**
 * The Keras "hello" walk-through: a SimpleRNN(3) + Dense(5) with the fixture's weights (Keras
 * layout) reads the one-hot characters h, e, l, l, o and predicts the next one at each step.
 */
export function runHello(): HelloResult {
  const vocab = hello.vocab;
  const rnn = new keras.SimpleRNN({ units: 3, returnSequences: true });
  const dense = new keras.Dense({ units: vocab.length, inputDim: 3 });
  try {
    return tidy(() => {
      rnn.setWeights([
        tensor(hello.weights['rnn.kernel']),
        tensor(hello.weights['rnn.recurrent_kernel']),
        tensor(hello.weights['rnn.bias']),
      ]);
      dense.setWeights([tensor(hello.weights['dense.kernel']), tensor(hello.weights['dense.bias'])]);
      const ids = tensor([hello.input_text.map((c) => vocab.indexOf(c))], { dtype: 'int32' });
      const h = rnn.forward(oneHot(ids, vocab.length)) as Tensor; // [1, T, 3]
      const logits = dense.forward(h); // [1, T, vocab]
      return {
        hidden: rows(h, 3),
        logits: rows(logits, vocab.length),
        predicted: Array.from(argMax(logits, -1).dataSync()).map((i) => vocab[i]),
      };
    });
  } finally {
    rnn.dispose();
    dense.dispose();
  }
}
