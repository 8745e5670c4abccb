import type { BackendTensor } from '../backend';

/** Activations a fused recurrent kernel applies; each derivative is a function of its output. */
export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid';
/** Every activation the fused recurrent kernel takes by name. */
export const ACTIVATION_NAMES: readonly ActivationName[] = ['tanh', 'sigmoid', 'relu', 'linear', 'hardSigmoid'];

/** The recurrent kinds a backend may fuse. */
export type RecurrentKind = 'rnn' | 'lstm' | 'gru';

/** Gates per kind, in PyTorch order: RNN 1; LSTM i, f, g, o; GRU r, z, n. */
export const GATE_COUNT: Record<RecurrentKind, number> = { rnn: 1, lstm: 4, gru: 3 };

/**
 * Attributes of one recurrent layer in one direction — the semantics of ONNX's RNN / LSTM / GRU
 * with PyTorch's weight layout.
 */
export interface RecurrentAttrs {
  /** Which cell's equations. */
  kind: RecurrentKind;
  /** H, the state size. */
  hiddenSize: number;
  /** LSTM output projection size (PyTorch proj_size); 0 for none. */
  projSize: number;
  /** Walk the sequence from each sequence's last token back to its first. */
  reverse: boolean;
  /**
   * ONNX's f, g, h: RNN [act]; LSTM [gate, cell input, cell output] (default sigmoid, tanh, tanh);
   * GRU [gate, candidate] (default sigmoid, tanh).
   */
  activations: readonly ActivationName[];
  /** GRU: apply the reset gate after the recurrent product (PyTorch, Keras reset_after=True, ONNX linear_before_reset=1). */
  linearBeforeReset: boolean;
  /** false when no gradient will be taken: the kernel may skip saving what backward needs (default true). */
  saveForBackward?: boolean;
  /**
   * x is [N, I], the real steps of the batch in PyTorch's packed layout for `seqLengths` (which is
   * then required): time-major, at each time step the sequences still running, longest first
   * (ties in batch order); y is [N, Hout] in the same layout. A backend that cannot take it says
   * so through `supportsRecurrent`, and layers unpack around the kernel instead.
   */
  packedInput?: boolean;
}

/**
 * Inputs, batch-first. Weights in PyTorch layout: wIh [G·H, I], wHh [G·H, Hout], optional biases
 * [G·H] (absent = zero), optional wHr [P, H]. Hout = P when projecting, else H. `seqLengths`
 * (int32 [B], each in 1..T) makes steps at and beyond a sequence's length leave its state alone
 * and write zeros to its output.
 */
export interface RecurrentInputs {
  /** The input, [B, T, I] batch-first (or packed rows [N, I] with `packedInput`). */
  x: BackendTensor;
  /** Input weights [G·H, I], PyTorch's gate order. */
  wIh: BackendTensor;
  /** Recurrent weights [G·H, Hout], PyTorch's gate order. */
  wHh: BackendTensor;
  /** Input bias [G·H]; absent = zero. */
  bIh?: BackendTensor;
  /** Recurrent bias [G·H]; absent = zero. */
  bHh?: BackendTensor;
  /** LSTM's output projection [P, H] (PyTorch proj_size). */
  wHr?: BackendTensor;
  /** The initial hidden state, [B, Hout]. */
  h0: BackendTensor;
  /** LSTM's initial cell state, [B, H]. */
  c0?: BackendTensor;
  /** Each sequence's real length, int32 [B]; absent = all T. */
  seqLengths?: BackendTensor;
}

/** What the fused recurrent kernel returns. */
export interface RecurrentOutputs {
  /** [B, T, Hout] */
  y: BackendTensor;
  /** `[B, Hout]`: each sequence's state after its last real token. */
  hN: BackendTensor;
  /** [B, H], LSTM only. */
  cN?: BackendTensor;
  /** What backward needs (gate activations, states); backend-specific layout. */
  workspace: BackendTensor;
}

/** The gradients `recurrentBackward` returns, one per input. */
export interface RecurrentGrads {
  /** Of x. */
  dx: BackendTensor;
  /** Of h0. */
  dh0: BackendTensor;
  /** Of c0 (LSTM). */
  dc0?: BackendTensor;
  /** Of wIh. */
  dWIh: BackendTensor;
  /** Of wHh. */
  dWHh: BackendTensor;
  /** Of bIh, when given. */
  dBIh?: BackendTensor;
  /** Of bHh, when given. */
  dBHh?: BackendTensor;
  /** Of wHr, when given. */
  dWHr?: BackendTensor;
}

/**
 * The fused recurrent kernel: a whole sequence through one recurrent layer in one direction, and
 * its backpropagation through time. The op that calls it (slots, dispatch, composed fallback) is
 * `@recur/layers`' `ops/recurrent.ts`; its gradient rule is autograd's `rules/recurrent.ts`.
 */
export interface RecurrentKernels {
  /**
   * Whether `recurrent` handles these attributes (a backend may fuse only the common cases);
   * absent means all. Layers take the composed path when it says no.
   */
  supportsRecurrent?(attrs: RecurrentAttrs): boolean;
  /** A whole sequence through one recurrent layer in one direction. */
  recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs;
  /** Backpropagation through time for `recurrent`, given the upstream gradients of y, hN (and cN). */
  recurrentBackward(
    inputs: RecurrentInputs,
    attrs: RecurrentAttrs,
    outputs: RecurrentOutputs,
    dy: BackendTensor,
    dhN: BackendTensor,
    dcN?: BackendTensor,
  ): RecurrentGrads;
}
