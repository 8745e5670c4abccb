import { Embedding, GRU, Linear, LSTM, Module, RNN, type TorchRecurrent } from '@recur/layers';
import {
  ConfigError,
  type DType,
  formatShape,
  type Rng,
  ShapeError,
  slice,
  squeeze,
  type Tensor,
  tidy,
} from '@recur/tensor';

export interface LMState {
  h: Tensor;
  c?: Tensor;
}

/** A model that maps token ids [B, T] and an optional carried state to logits [B, T, V] and the next state. */
export interface SequenceModel {
  forward(ids: Tensor, state?: LMState): { logits: Tensor; state: LMState };
}

export interface RecurrentLMConfig {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  cell?: 'RNN' | 'LSTM' | 'GRU';
  numLayers?: number;
  /** Dropout between stacked layers (training only). */
  dropout?: number;
  dtype?: DType;
  rng?: Rng;
  /** false: the composed per-step recurrent path even when the backend has a fused kernel. */
  fused?: boolean;
}

/**
 * The classic char-RNN: Embedding → RNN / LSTM / GRU → Linear, with PyTorch's parameter names
 * (`embedding.weight`, `rnn.weight_ih_l0`, `head.weight`), batch-first.
 *
 * @example
 * ```ts
 * import { tensor } from '@recur/tensor';
 * import { RecurrentLM } from '@recur/train';
 * const lm = new RecurrentLM({ vocabSize: 65, embeddingDim: 64, hiddenSize: 256, cell: 'LSTM' });
 * const { logits, state } = lm.forward(tensor([[1, 2, 3]], { dtype: 'int32' }));
 * console.log(logits.shape, state.h.shape, Object.keys(lm.stateDict())[0]); // [1, 3, 65] [1, 1, 256] 'embedding.weight'
 * ```
 */
export class RecurrentLM extends Module implements SequenceModel {
  readonly config: RecurrentLMConfig;
  readonly embedding: Embedding;
  readonly rnn: TorchRecurrent;
  readonly head: Linear;

  constructor(config: RecurrentLMConfig) {
    super();
    this.config = config;
    const o = { dtype: config.dtype, rng: config.rng };
    this.embedding = this.registerModule('embedding', new Embedding(config.vocabSize, config.embeddingDim, o));
    const rnnOptions = {
      ...o,
      batchFirst: true,
      numLayers: config.numLayers ?? 1,
      dropout: config.dropout ?? 0,
      fused: config.fused,
    };
    const cells = { RNN, LSTM, GRU };
    const cellName = config.cell ?? 'LSTM';
    if (!Object.hasOwn(cells, cellName))
      throw new ConfigError(`RecurrentLM: cell must be 'RNN', 'LSTM' or 'GRU', got ${JSON.stringify(config.cell)}`);
    const Cell = cells[cellName];
    this.rnn = this.registerModule('rnn', new Cell(config.embeddingDim, config.hiddenSize, rnnOptions));
    this.head = this.registerModule('head', new Linear(config.hiddenSize, config.vocabSize, o));
  }

  override get layerType(): string {
    return 'RecurrentLM';
  }

  forward(ids: Tensor, state?: LMState): { logits: Tensor; state: LMState } {
    if (ids.rank !== 2)
      throw new ShapeError(`${this.name}: token ids should be [batch, time], got ${formatShape(ids.shape)}`);
    return tidy(() => {
      const r = this.rnn.forward(this.embedding.forward(ids), { h0: state?.h, c0: state?.c });
      return { logits: this.head.forward(r.output), state: { h: r.hN, c: r.cN } };
    });
  }
}

/** The logits of the last position, [B, V]. */
export function lastLogits(logits: Tensor): Tensor {
  const T = logits.shape[1];
  return squeeze(slice(logits, [0, T - 1, 0], [-1, 1, -1]), 1);
}
