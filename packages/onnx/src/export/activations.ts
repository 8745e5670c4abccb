import { UnsupportedError } from '@recur/tensor';
import type { GraphWriter } from './graph-writer';

/** The ONNX recurrent-operator form of an activation: its name and, for those that take them, α and β. */
export interface RecurrentActivation {
  /** The operator's activation name ('Tanh', 'HardSigmoid'). */
  name: string;
  /** Its α, where it takes one. */
  alpha?: number;
  /** Its β, where it takes one. */
  beta?: number;
}

const RECURRENT: Record<string, RecurrentActivation> = {
  tanh: { name: 'Tanh' },
  sigmoid: { name: 'Sigmoid' },
  relu: { name: 'Relu' },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  hardSigmoidKeras3: { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
  elu: { name: 'Elu', alpha: 1 },
};

/** An activation (recur's name) as an ONNX RNN / GRU / LSTM activation; others are refused. */
export function recurrentActivation(owner: string, name: string): RecurrentActivation {
  const a = RECURRENT[name];
  if (!a) throw new UnsupportedError(`exportOnnx: ${owner}: the activation '${name}' has no ONNX recurrent form`);
  return a;
}

/**
 * The `activations` attribute and, when any activation takes parameters, `activation_alpha` /
 * `activation_beta`: one value per parameterised activation, in order (as onnxruntime reads them).
 */
export function activationAttrs(acts: RecurrentActivation[]): Record<string, string[] | number[]> {
  const out: Record<string, string[] | number[]> = { activations: acts.map((a) => a.name) };
  const alphas = acts.filter((a) => a.alpha !== undefined).map((a) => a.alpha as number);
  const betas = acts.filter((a) => a.beta !== undefined).map((a) => a.beta as number);
  if (alphas.length) out.activation_alpha = alphas;
  if (betas.length) out.activation_beta = betas;
  return out;
}

/** Writes an elementwise activation (Dense's, Activation's) on x; returns its output. */
export function writeActivation(g: GraphWriter, owner: string, name: string, x: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'relu6':
      return g.op('Clip', [x, g.scalar('zero', 0), g.scalar('six', 6)]);
    case 'elu':
      return g.op('Elu', [x], { alpha: { float: 1 } });
    case 'selu':
      return g.op('Selu', [x], { alpha: { float: 1.6732632423543772 }, gamma: { float: 1.0507009873554805 } });
    case 'softmax':
      return g.op('Softmax', [x], { axis: -1 });
    case 'logSoftmax':
      return g.op('LogSoftmax', [x], { axis: -1 });
    case 'softplus':
      return g.op('Softplus', [x]);
    case 'softsign':
      return g.op('Softsign', [x]);
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'exponential':
      return g.op('Exp', [x]);
    case 'hardSigmoid':
      return g.op('HardSigmoid', [x], { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'hardSigmoidKeras3':
      return g.op('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    default:
      throw new UnsupportedError(`exportOnnx: ${owner}: the activation '${name}' cannot be exported`);
  }
}
