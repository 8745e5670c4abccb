import { add, clone, maximum, minimum, mul, relu, sigmoid, softmax, type Tensor, tanh } from '@recur/tensor';

/** Activation names layers accept (Keras' names in camelCase). */
export type ActivationSpec =
  | 'linear'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'softmax'
  | 'hardSigmoid'
  | ((x: Tensor) => Tensor);

/** Resolves an activation to a function of tensors (composed ops, so it differentiates). */
export function activation(spec: ActivationSpec | null | undefined): (x: Tensor) => Tensor {
  if (typeof spec === 'function') return spec;
  switch (spec ?? 'linear') {
    case 'linear':
      return (x) => clone(x);
    case 'tanh':
      return tanh;
    case 'sigmoid':
      return sigmoid;
    case 'relu':
      return relu;
    case 'softmax':
      return (x) => softmax(x, -1);
    case 'hardSigmoid':
      // Keras 2: clip(0.2x + 0.5, 0, 1).
      return (x) => minimum(maximum(add(mul(x, 0.2), 0.5), 0), 1);
    default:
      throw new Error(`activation: unknown activation '${spec}'`);
  }
}
