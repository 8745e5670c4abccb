import { type CellSpec, checkOptions, uniqueName } from '@recur/layers';
import type { Tensor } from '@recur/tensor';
import type { ConfigContext } from '../engine/config';
import type { ArrayInput } from '../engine/layer';
import { CELL_OPTION_KEYS, type CellOptions, GRUCell, LSTMCell, RecurrentCell, SimpleRNNCell } from './recurrent-cell';
import { RNN, RNN_OPTION_KEYS, type RNNOptions } from './rnn';

/** A Keras recurrent layer's options: its cell's and RNN's, flat (as `LSTM({ units, returnSequences })`). */
export type RecurrentLayerOptions<S extends boolean = boolean> = CellOptions & RNNOptions<S>;

const RECURRENT_KEYS = [...new Set([...CELL_OPTION_KEYS, ...RNN_OPTION_KEYS])];
const RNN_ONLY = new Set<string>(RNN_OPTION_KEYS.filter((k) => k !== 'dtype' && k !== 'trainable'));

function split(options: RecurrentLayerOptions): [CellOptions, RNNOptions] {
  const cell: Record<string, unknown> = {};
  const rnn: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (RNN_ONLY.has(k)) rnn[k] = v;
    else cell[k] = v;
    if (k === 'dtype' || k === 'trainable') rnn[k] = v;
  }
  if (options.name) cell.name = `${options.name}_cell`;
  return [cell as unknown as CellOptions, rnn as RNNOptions];
}

/**
 * A Keras recurrent layer that owns one cell of a known kind (a `CellSpec`), with Keras'
 * get/setWeights and a flat config: `SimpleRNN`, `LSTM` and `GRU` are it for recur's kinds;
 * `recurrentClasses(spec)` makes the layer and cell classes of a new kind.
 */
export class KerasRecurrent<C extends RecurrentCell = RecurrentCell, S extends boolean = boolean> extends RNN<S> {
  /** The layer's cell. */
  declare readonly cell: C;

  constructor(
    make: ((options: CellOptions) => C) | CellSpec,
    className: string,
    /** The options it was made with. */
    readonly layerOptions: RecurrentLayerOptions<S>,
  ) {
    checkOptions(layerOptions?.name ?? className, layerOptions, RECURRENT_KEYS);
    const [cell, rnn] = split(layerOptions);
    super(typeof make === 'function' ? make(cell) : (new RecurrentCell(make, cell) as C), {
      ...(rnn as RNNOptions<S>),
      // Keras' names: simple_rnn, lstm_1, ... (the class name in snake_case).
      name: rnn.name ?? uniqueName(className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()),
    });
  }

  override get layerType(): string {
    return this.cell?.spec.names.keras ?? 'RNN';
  }

  /** The cell's units. */
  get units(): number {
    return this.cell.units;
  }

  /** [kernel [in, G·u], recurrent_kernel [u, G·u], bias] in Keras layout and gate order. */
  override getWeights(): Tensor[] {
    return this.cell.getWeights();
  }

  /** Builds an unbuilt layer from the kernel's shape. */
  protected override buildFromWeights(values: ArrayInput[]): void {
    (this.cell as unknown as { buildFromWeights(v: ArrayInput[]): void }).buildFromWeights(values);
    this.markBuilt();
  }

  /** Keras' flat config: the cell's options next to the RNN's. */
  override getConfig(): Record<string, unknown> {
    const { name: _cellName, trainable: _t, ...cell } = this.cell.getConfig();
    return { ...super.getConfig(), ...cell };
  }

  /** A fresh layer of the same class with the same options, and overrides (Bidirectional's backward copy). */
  clone(overrides: Partial<RecurrentLayerOptions>): KerasRecurrent<C> {
    const Self = this.constructor as new (o: RecurrentLayerOptions<boolean>) => KerasRecurrent<C>;
    return new Self({ ...this.layerOptions, ...overrides } as RecurrentLayerOptions<boolean>);
  }
}

/**
 * keras.layers.SimpleRNN: h = act(x·K + h·R + b).
 *
 * @example
 * ```ts
 * import { SimpleRNN } from '@recur/keras';
 * import { randomNormal } from '@recur/tensor';
 * const rnn = new SimpleRNN({ units: 8, returnState: true });
 * const [last, h] = rnn.apply(randomNormal([2, 5, 3])); // returnState: the output and the final state
 * console.log(last.shape, h.shape, rnn.countParams()); // [2, 8] [2, 8] 96
 * ```
 */
export class SimpleRNN<S extends boolean = false> extends KerasRecurrent<SimpleRNNCell, S> {
  /** The class name configs and files use for it. */
  static override readonly className = 'SimpleRNN';

  constructor(options: RecurrentLayerOptions<S>) {
    super((o) => new SimpleRNNCell(o), 'SimpleRNN', options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static override fromConfig(config: Record<string, unknown>): SimpleRNN<boolean> {
    return new SimpleRNN(config as unknown as RecurrentLayerOptions<boolean>);
  }
}

/**
 * keras.layers.LSTM: gates i, f, c, o; unitForgetBias defaults to true.
 *
 * @example
 * ```ts
 * import { LSTM } from '@recur/keras';
 * import { randomNormal } from '@recur/tensor';
 * const lstm = new LSTM({ units: 8, returnSequences: true, returnState: true });
 * const [seq, h, c] = lstm.apply(randomNormal([2, 5, 3]));
 * console.log(seq.shape, h.shape, c.shape); // [2, 5, 8] [2, 8] [2, 8]
 * const weights = lstm.getWeights(); // kernel [3, 32], recurrent_kernel [8, 32], bias [32]
 * console.log(weights.map((w) => w.shape)); // [[3, 32], [8, 32], [32]]
 * ```
 */
export class LSTM<S extends boolean = false> extends KerasRecurrent<LSTMCell, S> {
  /** The class name configs and files use for it. */
  static override readonly className = 'LSTM';

  constructor(options: RecurrentLayerOptions<S>) {
    super((o) => new LSTMCell(o), 'LSTM', options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static override fromConfig(config: Record<string, unknown>): LSTM<boolean> {
    return new LSTM(config as unknown as RecurrentLayerOptions<boolean>);
  }
}

/**
 * keras.layers.GRU: gates z, r, h; resetAfter defaults to true (PyTorch's arithmetic).
 *
 * @example
 * ```ts
 * import { GRU } from '@recur/keras';
 * import { randomNormal } from '@recur/tensor';
 * const gru = new GRU({ units: 8 }); // resetAfter: true (Keras 3), bias [2, 24]
 * console.log(gru.apply(randomNormal([2, 5, 3])).shape, gru.getWeights().at(-1)?.shape); // [2, 8] [2, 24]
 * ```
 */
export class GRU<S extends boolean = false> extends KerasRecurrent<GRUCell, S> {
  /** The class name configs and files use for it. */
  static override readonly className = 'GRU';

  constructor(options: RecurrentLayerOptions<S>) {
    super((o) => new GRUCell(o), 'GRU', options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static override fromConfig(config: Record<string, unknown>): GRU<boolean> {
    return new GRU(config as unknown as RecurrentLayerOptions<boolean>);
  }
}

/** The built-in Keras recurrent layers. */
export type KerasRecurrentLayer = SimpleRNN<boolean> | LSTM<boolean> | GRU<boolean>;

/** A new cell kind's Keras classes: the layer (as `LSTM` is) and its cell (as `LSTMCell` is), named from the spec. */
export interface RecurrentClasses {
  /** The layer class (as `LSTM`). */
  layer: (new (
    options: RecurrentLayerOptions<boolean>,
  ) => KerasRecurrent) & {
    /** The spec's Keras layer name. */
    readonly className: string;
    /** Builds the layer from its config. */
    fromConfig(config: Record<string, unknown>, context?: ConfigContext): KerasRecurrent;
  };
  /** The cell class (as `LSTMCell`). */
  cell: (new (
    options: CellOptions,
  ) => RecurrentCell) & {
    /** The spec's Keras cell name. */
    readonly className: string;
    /** Builds the cell from its config. */
    fromConfig(config: Record<string, unknown>): RecurrentCell;
  };
}

/**
 * The Keras-door classes of a cell kind (a `CellSpec`): the layer and the cell, registered under
 * the spec's Keras names so configs naming them load (`registerLayer`, or the loader's
 * `customObjects`). recur's own kinds have their classes (`LSTM`, `LSTMCell`, ...).
 */
export function recurrentClasses(spec: CellSpec): RecurrentClasses {
  const cell = class extends RecurrentCell {
    /** The class name configs use for it. */
    static readonly className = spec.names.kerasCell;
    constructor(options: CellOptions) {
      super(spec, options);
    }
    /** Builds it from its config. */
    static fromConfig(config: Record<string, unknown>): RecurrentCell {
      return new cell(config as unknown as CellOptions);
    }
  };
  const layer = class extends KerasRecurrent {
    /** The class name configs use for it. */
    static override readonly className = spec.names.keras;
    constructor(options: RecurrentLayerOptions<boolean>) {
      super((o) => new cell(o), spec.names.keras, options);
    }
    static override fromConfig(config: Record<string, unknown>): KerasRecurrent {
      return new layer(config as unknown as RecurrentLayerOptions<boolean>);
    }
  };
  return { layer, cell };
}
