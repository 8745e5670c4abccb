import type { BackendTensor } from './backend';

/** Activations a fused recurrent kernel applies; each derivative is a function of its output. */
export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid';
export const ACTIVATION_NAMES: readonly ActivationName[] = ['tanh', 'sigmoid', 'relu', 'linear', 'hardSigmoid'];

export type RecurrentKind = 'rnn' | 'lstm' | 'gru';

/** Gates per kind, in PyTorch order: RNN 1; LSTM i, f, g, o; GRU r, z, n. */
export const GATE_COUNT: Record<RecurrentKind, number> = { rnn: 1, lstm: 4, gru: 3 };

/**
 * Attributes of one recurrent layer in one direction — the semantics of ONNX's RNN / LSTM / GRU
 * with PyTorch's weight layout.
 */
export interface RecurrentAttrs {
  kind: RecurrentKind;
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
  x: BackendTensor;
  wIh: BackendTensor;
  wHh: BackendTensor;
  bIh?: BackendTensor;
  bHh?: BackendTensor;
  wHr?: BackendTensor;
  h0: BackendTensor;
  c0?: BackendTensor;
  seqLengths?: BackendTensor;
}

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

export interface RecurrentGrads {
  dx: BackendTensor;
  dh0: BackendTensor;
  dc0?: BackendTensor;
  dWIh: BackendTensor;
  dWHh: BackendTensor;
  dBIh?: BackendTensor;
  dBHh?: BackendTensor;
  dWHr?: BackendTensor;
}

/**
 * The optional tier of fused kernels. A backend may implement any subset; layers look each one
 * up at call time and fall back to composed primitives when it is absent.
 */
export interface FusedKernels {
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
  /** Whether `linearCrossEntropy` takes inputs of this dtype; absent means every float dtype. */
  supportsLinearCrossEntropy?(dtype: string): boolean;
  /**
   * The per-row loss of a Linear layer and softmax cross-entropy (see LinearCrossEntropyInputs)
   * without handing the logits back: the workspace keeps what backward needs (d loss / d logits).
   */
  linearCrossEntropy(
    inputs: LinearCrossEntropyInputs,
    attrs: LinearCrossEntropyAttrs,
  ): { loss: BackendTensor; workspace: BackendTensor };
  /** Gradients of Σ_n dLoss[n]·loss[n] with respect to x, the weight and the bias (when given). */
  linearCrossEntropyBackward(
    inputs: LinearCrossEntropyInputs,
    attrs: LinearCrossEntropyAttrs,
    workspace: BackendTensor,
    dLoss: BackendTensor,
  ): { dx: BackendTensor; dWeight: BackendTensor; dBias?: BackendTensor };
  /**
   * One Adam / AdamW update of one parameter in one pass (torch.optim.Adam's rule, without AMSGrad):
   * the new parameter and moments. Absent moments are zero (the first step). Optimizers fall back
   * to tensor ops without it.
   */
  adamStep(
    param: BackendTensor,
    grad: BackendTensor,
    expAvg: BackendTensor | undefined,
    expAvgSq: BackendTensor | undefined,
    attrs: AdamAttrs,
  ): { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor };
  /**
   * `adamStep` over every parameter of an optimizer in one call (one dispatch a step, not one a
   * parameter). Moments are all absent (the first step) or all present.
   */
  adamSteps(
    params: readonly BackendTensor[],
    grads: readonly BackendTensor[],
    expAvgs: readonly BackendTensor[] | undefined,
    expAvgSqs: readonly BackendTensor[] | undefined,
    attrs: AdamAttrs,
  ): { param: BackendTensor; expAvg: BackendTensor; expAvgSq: BackendTensor }[];
}

/**
 * A Dense / Linear layer followed by softmax cross-entropy, one value per row: logits
 * z = x·Wᵀ + b (or x·W for a Keras kernel), then
 * loss = (1 − ε)·(logsumexp z − z_y) + ε·(logsumexp z − mean z), and 0 where y = ignoreIndex.
 * x [N, K]; weight [C, K] (PyTorch) or [K, C] (`kernelLayout: 'inOut'`, Keras); bias [C];
 * targets int32 [N] in [0, C) or ignoreIndex.
 */
export interface LinearCrossEntropyInputs {
  x: BackendTensor;
  weight: BackendTensor;
  bias?: BackendTensor;
  targets: BackendTensor;
}

export interface LinearCrossEntropyAttrs {
  ignoreIndex: number;
  /** ε: the target mixed with a uniform distribution, (1 − ε)·onehot + ε / C (PyTorch's label_smoothing). */
  labelSmoothing: number;
  /** 'outIn': weight [C, K] as torch.nn.Linear; 'inOut': [K, C] as a Keras Dense kernel. */
  kernelLayout: 'outIn' | 'inOut';
  /** false when no gradient will be taken: the kernel may skip saving d loss / d logits (default true). */
  saveForBackward?: boolean;
}

/** Hyperparameters of one Adam step; `step` counts from 1 (bias correction). */
export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly instead of adding weightDecay·param to the gradient. */
  decoupled: boolean;
  step: number;
}

export const FUSED_KERNEL_NAMES = [
  'recurrent',
  'recurrentBackward',
  'linearCrossEntropy',
  'linearCrossEntropyBackward',
  'adamStep',
  'adamSteps',
] as const;
