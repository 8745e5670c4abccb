import { camelCase, type Parameter } from '@recur/layers';
import { ConfigError } from '@recur/tensor';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '@recur/train';

/**
 * An optimizer as Keras and tfjs describe it: a class name and its hyper-parameters (camelCase, or
 * Keras' snake_case as found in files). `compile` binds it to the model's trainable weights.
 */
export interface OptimizerSpec {
  /** 'Adam', 'AdamW', 'SGD', 'RMSprop', 'Adagrad'. */
  className: string;
  /** Its hyper-parameters. */
  config: Record<string, unknown>;
}

/** What `compile({ optimizer })` accepts. */
export type OptimizerIdentifier =
  | 'adam'
  | 'adamw'
  | 'sgd'
  | 'rmsprop'
  | 'adagrad'
  | (string & {})
  | OptimizerSpec
  | {
      /** Keras' class name, as in files. */
      class_name: string;
      /** Its hyper-parameters, in Keras' spelling. */
      config?: Record<string, unknown>;
    }
  | Optimizer
  | ((params: Parameter[]) => Optimizer);

/**
 * Keras- and tfjs-style optimizer factories (`keras.optimizers.adam({ learningRate: 0.01 })`),
 * with tfjs' defaults: Adam lr 1e-3, β 0.9 / 0.999, ε 1e-7; SGD lr 1e-2; RMSprop lr 1e-3,
 * ρ 0.9, ε 1e-7 inside the square root; AdamW weight decay 0.004 (Keras 3).
 */
export const optimizers = {
  /** Adam (tfjs' `tf.train.adam`, Keras' `Adam`). */
  adam: (config: AdamConfig = {}): OptimizerSpec => ({ className: 'Adam', config: { ...config } }),
  /** AdamW: Adam with decoupled weight decay (default 0.004, Keras 3). */
  adamw: (config: AdamConfig = {}): OptimizerSpec => ({ className: 'AdamW', config: { ...config } }),
  /** Stochastic gradient descent, with momentum and Nesterov if asked. */
  sgd: (config: SGDConfig = {}): OptimizerSpec => ({ className: 'SGD', config: { ...config } }),
  /** RMSprop. */
  rmsprop: (config: RMSpropConfig = {}): OptimizerSpec => ({ className: 'RMSprop', config: { ...config } }),
  /** Adagrad. */
  adagrad: (config: AdagradConfig = {}): OptimizerSpec => ({ className: 'Adagrad', config: { ...config } }),
};

/** Hyper-parameters every Keras optimizer takes. */
interface CommonConfig {
  /** The learning rate. */
  learningRate?: number;
  /** Keras: each gradient tensor is scaled down to this L2 norm. */
  clipnorm?: number;
  /** Keras: every gradient element is clamped to [−clipvalue, clipvalue]. */
  clipvalue?: number;
  /** Keras 3: decoupled weight decay (w −= w · wd · lr) on any optimizer. */
  weightDecay?: number;
}
/** Adam's and AdamW's hyper-parameters, tfjs' names. */
export interface AdamConfig extends CommonConfig {
  /** The first moment's decay (0.9). */
  beta1?: number;
  /** The second moment's decay (0.999). */
  beta2?: number;
  /** Added to the denominator (1e-7). */
  epsilon?: number;
  /** AMSGrad (false). */
  amsgrad?: boolean;
  /** Keras 3's ε placement (ε added to √v before the bias correction); default tfjs' (√v̂ + ε). */
  kerasEpsilon?: boolean;
}
/** SGD's hyper-parameters. */
export interface SGDConfig extends CommonConfig {
  /** Momentum (0). */
  momentum?: number;
  /** Nesterov momentum (false). */
  nesterov?: boolean;
}
/** RMSprop's hyper-parameters. */
export interface RMSpropConfig extends CommonConfig {
  /** tfjs' decay, Keras' rho (0.9). */
  rho?: number;
  /** tfjs' name for rho. */
  decay?: number;
  /** Momentum (0). */
  momentum?: number;
  /** Added inside the square root (1e-7). */
  epsilon?: number;
  /** Normalise by the gradient's estimated variance (false). */
  centered?: boolean;
  /** ε inside the square root (default true: tfjs and Keras 3); false gives PyTorch's √v + ε. */
  epsilonInsideSqrt?: boolean;
}
/** Adagrad's hyper-parameters. */
export interface AdagradConfig extends CommonConfig {
  /** The accumulator's start (0.1). */
  initialAccumulatorValue?: number;
  /** Added to the denominator (1e-7). */
  epsilon?: number;
}

const IGNORED = new Set([
  'name',
  'isLegacyOptimizer',
  'useEma',
  'emaMomentum',
  'emaOverwriteFrequency',
  'lossScaleFactor',
  'gradientAccumulationSteps',
]);

function normalise(className: string, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = camelCase(k)
      .replace(/^beta(\d)$/, 'beta$1')
      .replace(/^beta_(\d)$/, 'beta$1');
    const c = key === 'lr' ? 'learningRate' : key;
    if (v === null || v === undefined || IGNORED.has(c)) continue;
    if ((c === 'globalClipnorm' || c === 'gradientAccumulationSteps') && v !== null) {
      throw new ConfigError(`optimizer ${className}: option ${k} = ${JSON.stringify(v)} is not supported`);
    }
    out[c] = v;
  }
  return out;
}

function num(className: string, config: Record<string, unknown>, key: string, fallback: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(`optimizer ${className}: ${key} should be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkKeys(className: string, config: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(config)) {
    if (!known.includes(k))
      throw new ConfigError(`optimizer ${className}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

const COMMON = ['learningRate', 'clipnorm', 'clipvalue', 'weightDecay'];

/** Builds the optimizer `id` describes over `params` (tfjs' defaults, see `optimizers`). */
export function makeOptimizer(id: OptimizerIdentifier, params: Parameter[]): Optimizer {
  if (typeof id === 'function') return id(params);
  if (id && typeof id === 'object' && 'step' in id && 'params' in id) {
    const opt = id as Optimizer;
    const missing = params.filter((p) => !opt.params.includes(p));
    if (missing.length) {
      throw new ConfigError(
        `compile: the optimizer given does not hold ${missing.length} of the model's trainable weights; pass a name or a spec instead`,
      );
    }
    return opt;
  }
  let className: string;
  let raw: Record<string, unknown>;
  if (typeof id === 'string') {
    className = id;
    raw = {};
  } else if (id && typeof id === 'object' && ('className' in id || 'class_name' in id)) {
    const spec = id as { className?: string; class_name?: string; config?: Record<string, unknown> };
    className = String(spec.className ?? spec.class_name);
    raw = spec.config ?? {};
  } else {
    throw new ConfigError(
      `compile: optimizer should be a name ('adam'), a spec or an Optimizer, got ${JSON.stringify(id)}`,
    );
  }
  const config = normalise(className, raw);
  const clip = { clipnorm: config.clipnorm as number | undefined, clipvalue: config.clipvalue as number | undefined };
  const wd = config.weightDecay as number | undefined;
  switch (className.toLowerCase()) {
    case 'adam':
    case 'adamw': {
      checkKeys(className, config, [...COMMON, 'beta1', 'beta2', 'epsilon', 'amsgrad', 'kerasEpsilon']);
      const isW = className.toLowerCase() === 'adamw';
      const options = {
        lr: num(className, config, 'learningRate', 1e-3),
        betas: [num(className, config, 'beta1', 0.9), num(className, config, 'beta2', 0.999)] as [number, number],
        eps: num(className, config, 'epsilon', 1e-7),
        amsgrad: Boolean(config.amsgrad ?? false),
        epsilonForm: config.kerasEpsilon ? ('raw' as const) : ('biasCorrected' as const),
        ...clip,
      };
      // Keras applies weight decay decoupled on every optimizer: AdamW's rule.
      const decay = isW ? (wd ?? 0.004) : wd;
      return decay ? new AdamW(params, { ...options, weightDecay: decay }) : new Adam(params, options);
    }
    case 'sgd': {
      checkKeys(className, config, [...COMMON, 'momentum', 'nesterov']);
      if (wd) throw new ConfigError(`optimizer ${className}: weightDecay on SGD is not supported; use AdamW`);
      return new SGD(params, {
        lr: num(className, config, 'learningRate', 1e-2),
        momentum: num(className, config, 'momentum', 0),
        nesterov: Boolean(config.nesterov ?? false),
        ...clip,
      });
    }
    case 'rmsprop': {
      checkKeys(className, config, [...COMMON, 'rho', 'decay', 'momentum', 'epsilon', 'centered', 'epsilonInsideSqrt']);
      if (wd) throw new ConfigError(`optimizer ${className}: weightDecay on RMSprop is not supported; use AdamW`);
      return new RMSprop(params, {
        lr: num(className, config, 'learningRate', 1e-3),
        alpha: num(className, config, config.rho !== undefined ? 'rho' : 'decay', 0.9),
        eps: num(className, config, 'epsilon', 1e-7),
        momentum: num(className, config, 'momentum', 0),
        centered: Boolean(config.centered ?? false),
        epsilonInsideSqrt: (config.epsilonInsideSqrt as boolean | undefined) ?? true,
        ...clip,
      });
    }
    case 'adagrad': {
      checkKeys(className, config, [...COMMON, 'initialAccumulatorValue', 'epsilon']);
      if (wd) throw new ConfigError(`optimizer ${className}: weightDecay on Adagrad is not supported; use AdamW`);
      return new Adagrad(params, {
        lr: num(className, config, 'learningRate', 1e-2),
        initialAccumulatorValue: num(className, config, 'initialAccumulatorValue', 0.1),
        eps: num(className, config, 'epsilon', 1e-7),
        ...clip,
      });
    }
    default:
      throw new ConfigError(`compile: unknown optimizer '${className}' (known: adam, adamw, sgd, rmsprop, adagrad)`);
  }
}
