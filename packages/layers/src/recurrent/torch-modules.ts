import { GRU_CELL, LSTM_CELL, SIMPLE_RNN } from '../cells/index';
import { TorchRecurrent, type TorchRecurrentOptions } from './torch-recurrent';

// PyTorch's three recurrent modules: TorchRecurrent with their cell and PyTorch's constructor arguments.

/**
 * nn.RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu.
 *
 * @example
 * ```ts
 * import { RNN } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * const rnn = new RNN(3, 8, { nonlinearity: 'relu', batchFirst: true });
 * const { output, hN } = rnn.forward(randomNormal([2, 5, 3]));
 * console.log(output.shape, hN.shape); // [2, 5, 8] [1, 2, 8]
 * ```
 */
export class RNN extends TorchRecurrent {
  constructor(
    inputSize: number,
    hiddenSize: number,
    options: TorchRecurrentOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const { nonlinearity, ...rest } = options;
    super(SIMPLE_RNN, inputSize, hiddenSize, { ...rest, activations: [nonlinearity ?? 'tanh'] });
  }
}

/**
 * nn.LSTM, gates i, f, g, o; `projSize` adds PyTorch's output projection.
 *
 * @example
 * ```ts
 * import { LSTM } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * // nn.LSTM(3, 8, num_layers=2, bidirectional=True, batch_first=True)
 * const lstm = new LSTM(3, 8, { numLayers: 2, bidirectional: true, batchFirst: true });
 * const { output, hN, cN } = lstm.forward(randomNormal([2, 5, 3]));
 * console.log(output.shape, hN.shape, cN?.shape); // [2, 5, 16] [4, 2, 8] [4, 2, 8]
 * console.log(Object.keys(lstm.stateDict()).slice(0, 4)); // ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
 * ```
 */
export class LSTM extends TorchRecurrent {
  constructor(inputSize: number, hiddenSize: number, options: TorchRecurrentOptions & { projSize?: number } = {}) {
    super(LSTM_CELL, inputSize, hiddenSize, options);
  }
}

/**
 * nn.GRU, gates r, z, n with n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
 *
 * @example
 * ```ts
 * import { GRU } from '@recur/layers';
 * import { randomNormal, zeros } from '@recur/tensor';
 * const gru = new GRU(3, 8); // time-major by default, as PyTorch: [T, B, I]
 * const { output, hN } = gru.forward(randomNormal([5, 2, 3]), { h0: zeros([1, 2, 8]) });
 * console.log(output.shape, hN.shape); // [5, 2, 8] [1, 2, 8]
 * ```
 */
export class GRU extends TorchRecurrent {
  constructor(inputSize: number, hiddenSize: number, options: TorchRecurrentOptions = {}) {
    super(GRU_CELL, inputSize, hiddenSize, options);
  }
}
