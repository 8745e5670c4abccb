import type { BackendTensor } from '../backend';

/**
 * A Dense / Linear layer followed by softmax cross-entropy, one value per row: logits
 * z = x·Wᵀ + b (or x·W for a Keras kernel), then
 * loss = (1 − ε)·(logsumexp z − z_y) + ε·(logsumexp z − mean z), and 0 where y = ignoreIndex.
 * x [N, K]; weight [C, K] (PyTorch) or [K, C] (`kernelLayout: 'inOut'`, Keras); bias [C];
 * targets int32 [N] in [0, C) or ignoreIndex.
 */
export interface LinearCrossEntropyInputs {
  /** The features, [N, I]. */
  x: BackendTensor;
  /** The Linear weight: [V, I] (`outIn`, PyTorch) or [I, V] (`inOut`, Keras). */
  weight: BackendTensor;
  /** The Linear bias, [V]. */
  bias?: BackendTensor;
  /** Class ids, int32 [N]. */
  targets: BackendTensor;
}

/** How the loss is computed. */
export interface LinearCrossEntropyAttrs {
  /** Rows whose target is this id add nothing (PyTorch's ignore_index). */
  ignoreIndex: number;
  /** ε: the target mixed with a uniform distribution, (1 − ε)·onehot + ε / C (PyTorch's label_smoothing). */
  labelSmoothing: number;
  /** 'outIn': weight [C, K] as torch.nn.Linear; 'inOut': [K, C] as a Keras Dense kernel. */
  kernelLayout: 'outIn' | 'inOut';
  /** false when no gradient will be taken: the kernel may skip saving d loss / d logits (default true). */
  saveForBackward?: boolean;
}

/**
 * The fused Linear + softmax cross-entropy kernel and its backward. The op that calls it is
 * `@recur/train`'s `ops/linear-cross-entropy.ts`; its gradient rule is autograd's
 * `rules/linear-cross-entropy.ts`.
 */
export interface LinearCrossEntropyKernels {
  /** Whether `linearCrossEntropy` takes inputs of this dtype; absent means every float dtype. */
  supportsLinearCrossEntropy?(dtype: string): boolean;
  /**
   * The per-row loss of a Linear layer and softmax cross-entropy (see LinearCrossEntropyInputs)
   * without handing the logits back: the workspace keeps what backward needs (d loss / d logits).
   */
  linearCrossEntropy(
    inputs: LinearCrossEntropyInputs,
    attrs: LinearCrossEntropyAttrs,
  ): {
    /** The per-row loss, [N]. */
    loss: BackendTensor;
    /** What the backward reads (d loss / d logits and the input). */
    workspace: BackendTensor;
  };
  /** Gradients of Σ_n dLoss[n]·loss[n] with respect to x, the weight and the bias (when given). */
  linearCrossEntropyBackward(
    inputs: LinearCrossEntropyInputs,
    attrs: LinearCrossEntropyAttrs,
    workspace: BackendTensor,
    dLoss: BackendTensor,
  ): {
    /** Gradient of the input, [N, I]. */
    dx: BackendTensor;
    /** Gradient of the weight, in the weight's layout. */
    dWeight: BackendTensor;
    /** Gradient of the bias, when there is one. */
    dBias?: BackendTensor;
  };
}
