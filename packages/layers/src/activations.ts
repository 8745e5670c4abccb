import {
  abs,
  add,
  ConfigError,
  clone,
  div,
  exp,
  greater,
  logSoftmax,
  maximum,
  minimum,
  mul,
  own,
  relu,
  sigmoid,
  softmax,
  softplus,
  sub,
  type Tensor,
  tanh,
  where,
} from '@recur/tensor';

/** The activations layers know, by recur's (tfjs') camelCase names. */
export const ACTIVATIONS = [
  'linear',
  'tanh',
  'sigmoid',
  'relu',
  'relu6',
  'elu',
  'selu',
  'softmax',
  'logSoftmax',
  'softplus',
  'softsign',
  'swish',
  'exponential',
  /** tfjs and Keras 2: clip(0.2·x + 0.5, 0, 1). */
  'hardSigmoid',
  /** Keras 3: clip(x / 6 + 0.5, 0, 1) (relu6(x + 3) / 6). */
  'hardSigmoidKeras3',
] as const;

/** Every activation recur knows by name (both doors' spellings). */
export type ActivationNameAny = (typeof ACTIVATIONS)[number];

/**
 * An activation by name — recur's and tfjs' camelCase (`'hardSigmoid'`) or Keras' snake_case
 * (`'hard_sigmoid'`) — or a function of tensors.
 */
export type ActivationSpec = ActivationNameAny | (string & {}) | ((x: Tensor) => Tensor);

const ALIASES: Record<string, ActivationNameAny> = {
  linear: 'linear',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  softmax: 'softmax',
  logsoftmax: 'logSoftmax',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  exponential: 'exponential',
  hardsigmoid: 'hardSigmoid',
  hardsigmoidkeras3: 'hardSigmoidKeras3',
};

/** The canonical name of an activation spec (a function is returned as is); unknown names are an error. */
export function canonicalActivation(
  spec: ActivationSpec | null | undefined,
): ActivationNameAny | ((x: Tensor) => Tensor) {
  if (typeof spec === 'function') return spec;
  if (spec === null || spec === undefined) return 'linear';
  const name = own(ALIASES, String(spec).toLowerCase().replace(/_/g, ''));
  if (!name) throw new ConfigError(`activation: unknown activation '${spec}' (known: ${ACTIVATIONS.join(', ')})`);
  return name;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const elu = (x: Tensor, alpha = 1) => where(greater(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));

/** Resolves an activation to a function of tensors (composed ops, so it differentiates). */
export function activation(spec: ActivationSpec | null | undefined): (x: Tensor) => Tensor {
  const name = canonicalActivation(spec);
  if (typeof name === 'function') return name;
  switch (name) {
    case 'linear':
      return (x) => clone(x);
    case 'tanh':
      return tanh;
    case 'sigmoid':
      return sigmoid;
    case 'relu':
      return relu;
    case 'relu6':
      return (x) => minimum(relu(x), 6);
    case 'elu':
      return (x) => elu(x);
    case 'selu':
      return (x) => mul(elu(x, SELU_ALPHA), SELU_SCALE);
    case 'softmax':
      return (x) => softmax(x, -1);
    case 'logSoftmax':
      return (x) => logSoftmax(x, -1);
    case 'softplus':
      return softplus;
    case 'softsign':
      return (x) => div(x, add(abs(x), 1));
    case 'swish':
      return (x) => mul(x, sigmoid(x));
    case 'exponential':
      return exp;
    case 'hardSigmoid':
      return (x) => minimum(maximum(add(mul(x, 0.2), 0.5), 0), 1);
    case 'hardSigmoidKeras3':
      return (x) => minimum(maximum(add(div(x, 6), 0.5), 0), 1);
  }
}
