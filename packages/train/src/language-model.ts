import { CELLS, type CellSpec, Embedding, Linear, Module, TorchRecurrent } from '@recur/layers';
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
import type { CrossEntropyOptions } from './losses/cross-entropy';
import { linearCrossEntropy } from './ops/linear-cross-entropy';

/** A language model's recurrent state, carried between windows or tokens. */
export interface LMState {
  /** Hidden state, [numLayers, B, H]. */
  h: Tensor;
  /** LSTM cell state, [numLayers, B, H]. */
  c?: Tensor;
}

/** A model's logits for each position and the state after the last one. */
export interface LMOutput {
  /** [B, T, V] (or [B, V] from `step`). */
  logits: Tensor;
  /** The state after the last position. */
  state: LMState;
}

/** A language model's loss for a window and the state after it. */
export interface LMLoss {
  /** The mean next-token cross-entropy (or per-token, as the reduction asks). */
  loss: Tensor;
  /** The state after the window, to carry into the next one. */
  state: LMState;
}

/** A model that maps token ids [B, T] and an optional carried state to logits [B, T, V] and the next state. */
export interface SequenceModel {
  /** ids [B, T] (and a carried state) → logits [B, T, V] and the next state. */
  forward(ids: Tensor, state?: LMState): LMOutput;
  /** One token per row, ids [B] → logits [B, V]: what `generate` calls per token when a model has it. */
  step?(ids: Tensor, state?: LMState): LMOutput;
}

/** RecurrentLM's shape: Embedding → recurrent layer(s) → Linear head. */
export interface RecurrentLMConfig {
  /** Tokens in the vocabulary (the embedding's rows and the head's outputs). */
  vocabSize: number;
  /** The embedding's size. */
  embeddingDim: number;
  /** The recurrent layer's state size. */
  hiddenSize: number;
  /**
   * The recurrent layer: 'RNN', 'LSTM' (default) or 'GRU' — a cell kind's PyTorch name (any kind
   * in `CELLS`) — or a cell kind's spec.
   */
  cell?: 'RNN' | 'LSTM' | 'GRU' | (string & {}) | CellSpec;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Dropout between stacked layers (training only). */
  dropout?: number;
  /** The parameters' dtype (default float32). */
  dtype?: DType;
  /** The generator the weights are drawn from (default: the global one). */
  rng?: Rng;
  /** false: the composed per-step recurrent path even when the backend has a fused kernel. */
  fused?: boolean;
}

/** The cell kind a config names: a kind's PyTorch name ('LSTM'), or a spec given as is. */
function cellOf(cell: RecurrentLMConfig['cell']): CellSpec {
  if (cell !== undefined && typeof cell === 'object') return cell;
  const name = cell ?? 'LSTM';
  const spec = CELLS.find((c) => c.names.torch === name);
  if (!spec) {
    const names = CELLS.map((c) => `'${c.names.torch}'`);
    throw new ConfigError(
      `RecurrentLM: cell must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${JSON.stringify(cell)}`,
    );
  }
  return spec;
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
  /** The configuration it was built with. */
  readonly config: RecurrentLMConfig;
  /** The token embedding, [vocabSize, embeddingDim]. */
  readonly embedding: Embedding;
  /** The recurrent layer(s), batch-first. */
  readonly rnn: TorchRecurrent;
  /** The output projection to vocabulary logits. */
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
    this.rnn = this.registerModule(
      'rnn',
      new TorchRecurrent(cellOf(config.cell), config.embeddingDim, config.hiddenSize, rnnOptions),
    );
    this.head = this.registerModule('head', new Linear(config.hiddenSize, config.vocabSize, o));
  }

  override get layerType(): string {
    return 'RecurrentLM';
  }

  /** ids [B, T] (and a carried state) → logits [B, T, V] and the state after the window. */
  forward(ids: Tensor, state?: LMState): LMOutput {
    return tidy(() => {
      const r = this.hidden(ids, state);
      return { logits: this.head.forward(r.output), state: { h: r.hN, c: r.cN } };
    });
  }

  /**
   * The training loss of next-token targets [B, T] (softmax cross-entropy, PyTorch's
   * `cross_entropy(logits, targets)`, with its ignoreIndex, labelSmoothing and reduction) and
   * the next state: the same numbers as `crossEntropy(lm.forward(ids, state).logits, targets)`,
   * with the head and the loss run as one fused kernel where the backend has it, so the [B, T, V]
   * logits are never materialised.
   *
   * @example
   * ```ts
   * import { valueAndGradsOf } from '@recur/autograd';
   * import { tensor } from '@recur/tensor';
   * import { Adam, RecurrentLM } from '@recur/train';
   * const lm = new RecurrentLM({ vocabSize: 10, embeddingDim: 8, hiddenSize: 16, cell: 'GRU' });
   * const optimizer = new Adam(lm.parameters(), { lr: 1e-2 });
   * const x = tensor([[1, 2, 3, 4]], { dtype: 'int32' });
   * const y = tensor([[2, 3, 4, 5]], { dtype: 'int32' });
   * const { value, grads } = valueAndGradsOf(() => lm.loss(x, y).loss, optimizer.params.map((p) => p.value));
   * optimizer.step(grads);
   * // 7 gradients: embedding, the GRU's weights and biases, the head's weight and bias
   * console.log(value.item() > 0, grads.length); // true 7
   * ```
   */
  loss(ids: Tensor, targets: Tensor, options: CrossEntropyOptions & { state?: LMState } = {}): LMLoss {
    const { state, ...lossOptions } = options;
    return tidy(() => {
      const r = this.hidden(ids, state);
      const { weight, bias } = this.head;
      const loss = linearCrossEntropy(r.output, weight.value, bias?.value, targets, lossOptions);
      return { loss, state: { h: r.hN, c: r.cN } };
    });
  }

  /**
   * One token per sequence, ids [B] (int32), and the carried state → the next token's logits
   * [B, V] and the state after it: `forward` of one step without the time axis, on the recurrent
   * layer's `step`. What `generate` runs per token.
   *
   * @example
   * ```ts
   * import { tensor } from '@recur/tensor';
   * import { RecurrentLM } from '@recur/train';
   * const lm = new RecurrentLM({ vocabSize: 20, embeddingDim: 8, hiddenSize: 16, cell: 'LSTM' });
   * const first = lm.step(tensor([4], { dtype: 'int32' }));
   * const second = lm.step(tensor([7], { dtype: 'int32' }), first.state);
   * console.log(second.logits.shape, second.state.h.shape); // [1, 20] [1, 1, 16]
   * ```
   */
  step(ids: Tensor, state?: LMState): LMOutput {
    if (ids.rank !== 1)
      throw new ShapeError(`${this.name}: step takes token ids [batch], got ${formatShape(ids.shape)}`);
    return tidy(() => {
      const r = this.rnn.step(this.embedding.forward(ids), { h0: state?.h, c0: state?.c });
      return { logits: this.head.forward(r.output), state: { h: r.hN, c: r.cN } };
    });
  }

  /** Embedding and recurrent layers: the hidden states the head reads. */
  private hidden(ids: Tensor, state?: LMState) {
    if (ids.rank !== 2)
      throw new ShapeError(`${this.name}: token ids should be [batch, time], got ${formatShape(ids.shape)}`);
    return this.rnn.forward(this.embedding.forward(ids), { h0: state?.h, c0: state?.c });
  }
}

/** The logits of the last position, [B, V]. */
export function lastLogits(logits: Tensor): Tensor {
  const T = logits.shape[1];
  return squeeze(slice(logits, [0, T - 1, 0], [-1, 1, -1]), 1);
}
