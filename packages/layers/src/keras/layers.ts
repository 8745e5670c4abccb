import type { Tensor } from '@recur/tensor';
import { type CellOptions, GRUCell, LSTMCell, SimpleRNNCell } from './builtin-cells';
import { RNN, type RNNOptions } from './rnn';

export type RecurrentLayerOptions = CellOptions & Omit<RNNOptions, 'name'>;

function split(options: RecurrentLayerOptions): [CellOptions, RNNOptions] {
  const { returnSequences, returnState, goBackwards, stateful, fused, name, ...cell } = options;
  return [
    { ...cell, name: name ? `${name}_cell` : undefined },
    { returnSequences, returnState, goBackwards, stateful, fused, name },
  ];
}

/** Keras layers that own one built-in cell, with Keras' get/setWeights. */
abstract class KerasRecurrent<C extends SimpleRNNCell | LSTMCell | GRUCell> extends RNN {
  declare readonly cell: C;

  constructor(
    cell: C,
    rnnOptions: RNNOptions,
    readonly layerOptions: RecurrentLayerOptions,
  ) {
    super(cell, rnnOptions);
  }

  get units(): number {
    return this.cell.units;
  }

  /** [kernel [in, G·u], recurrent_kernel [u, G·u], bias] in Keras layout and gate order. */
  getWeights(): Tensor[] {
    return this.cell.getWeights();
  }

  /** Sets weights given in Keras layout; builds the layer from the kernel's shape if needed. */
  setWeights(weights: Tensor[]): void {
    if (!this.cell.isBuilt && weights[0]) this.cell.build(weights[0].shape.slice(0, 1));
    const params = this.cell.namedParameters();
    if (weights.length !== params.length) {
      throw new Error(
        `${this.name}.setWeights: expected ${params.length} arrays (${params.map(([n]) => n).join(', ')}), got ${weights.length}`,
      );
    }
    this.cell.loadStateDict(Object.fromEntries(params.map(([n], i) => [n, weights[i]])));
  }

  /** A fresh layer with the same options, and overrides (Bidirectional's backward copy). */
  abstract clone(overrides: Partial<RecurrentLayerOptions>): KerasRecurrentLayer;
}

/** keras.layers.SimpleRNN */
export class SimpleRNN extends KerasRecurrent<SimpleRNNCell> {
  override get layerType(): string {
    return 'SimpleRNN';
  }

  constructor(options: RecurrentLayerOptions) {
    const [cell, rnn] = split(options);
    super(new SimpleRNNCell(cell), rnn, options);
  }

  clone(overrides: Partial<RecurrentLayerOptions>): SimpleRNN {
    return new SimpleRNN({ ...this.layerOptions, ...overrides });
  }
}

/** keras.layers.LSTM: gates i, f, c, o; unitForgetBias defaults to true. */
export class LSTM extends KerasRecurrent<LSTMCell> {
  override get layerType(): string {
    return 'LSTM';
  }

  constructor(options: RecurrentLayerOptions) {
    const [cell, rnn] = split(options);
    super(new LSTMCell(cell), rnn, options);
  }

  clone(overrides: Partial<RecurrentLayerOptions>): LSTM {
    return new LSTM({ ...this.layerOptions, ...overrides });
  }
}

/** keras.layers.GRU: gates z, r, h; resetAfter defaults to true (PyTorch's arithmetic). */
export class GRU extends KerasRecurrent<GRUCell> {
  override get layerType(): string {
    return 'GRU';
  }

  constructor(options: RecurrentLayerOptions) {
    const [cell, rnn] = split(options);
    super(new GRUCell(cell), rnn, options);
  }

  clone(overrides: Partial<RecurrentLayerOptions>): GRU {
    return new GRU({ ...this.layerOptions, ...overrides });
  }
}

/** The built-in Keras recurrent layers. */
export type KerasRecurrentLayer = SimpleRNN | LSTM | GRU;
export type { KerasRecurrent };
