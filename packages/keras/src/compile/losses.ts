import {
  abs,
  add,
  ConfigError,
  cast,
  div,
  floor,
  formatShape,
  hostValues,
  log,
  logSoftmax,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  oneHot,
  relu,
  reshape,
  ShapeError,
  softplus,
  squeeze,
  sub,
  sum,
  type Tensor,
  tidy,
} from '@recur/tensor';

/** Keras' fuzz factor (backend.epsilon()). */
export const EPSILON = 1e-7;

/** A loss: per-sample values (the last axis reduced) from targets and predictions, Keras' argument order. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

const clip = (x: Tensor) => minimum(maximum(x, EPSILON), 1 - EPSILON);

function sameShape(name: string, yTrue: Tensor, yPred: Tensor): void {
  if (yTrue.shape.join() !== yPred.shape.join()) {
    throw new ShapeError(
      `${name}: targets ${formatShape(yTrue.shape)} and predictions ${formatShape(yPred.shape)} should have the same shape`,
    );
  }
}

/** mean((yPred − yTrue)², −1) */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanSquaredError', yTrue, yPred);
  return tidy(() => {
    const d = sub(yPred, cast(yTrue, yPred.dtype));
    return mean(mul(d, d), -1);
  });
}

/** mean(|yPred − yTrue|, −1) */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanAbsoluteError', yTrue, yPred);
  return tidy(() => mean(abs(sub(yPred, cast(yTrue, yPred.dtype))), -1));
}

/**
 * Categorical cross-entropy against one-hot (or soft) targets. On probabilities, as tfjs and
 * Keras: rescaled to sum to 1 and clipped to [ε, 1 − ε]; with `fromLogits`, a log-softmax.
 */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: { fromLogits?: boolean } = {}): Tensor {
  sameShape('categoricalCrossentropy', yTrue, yPred);
  return tidy(() => {
    const t = cast(yTrue, yPred.dtype);
    if (options.fromLogits) return neg(sum(mul(t, logSoftmax(yPred, -1)), -1));
    const p = clip(div(yPred, sum(yPred, -1, { keepDims: true })));
    return neg(sum(mul(t, log(p)), -1));
  });
}

/** Class ids as [..] for predictions [.., C]: a trailing axis of 1 (tfjs' [N, 1]) is dropped. */
function sparseTargets(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const lead = yPred.shape.slice(0, -1);
  let t = yTrue;
  if (t.rank === yPred.rank && t.shape[t.rank - 1] === 1) t = squeeze(t, -1);
  if (t.shape.join() !== lead.join()) {
    throw new ShapeError(
      `${name}: targets ${formatShape(yTrue.shape)} should be class ids of shape ${formatShape(lead)} (or with a trailing 1) for predictions ${formatShape(yPred.shape)}`,
    );
  }
  const C = yPred.shape[yPred.rank - 1];
  // Checked where the backend reads synchronously.
  const v = hostValues(t) ?? [];
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] < C)) {
      throw new ShapeError(`${name}: target ${v[i]} at flat position ${i} is outside the ${C} classes 0..${C - 1}`);
    }
  }
  return cast(floor(cast(t, 'float32')), 'int32');
}

/**
 * Sparse categorical cross-entropy from class ids. On probabilities it is tfjs-layers' exact
 * arithmetic (clip, rescale, clip, −log p[target]); with `fromLogits`, −log_softmax[target].
 */
export function sparseCategoricalCrossentropy(
  yTrue: Tensor,
  yPred: Tensor,
  options: { fromLogits?: boolean } = {},
): Tensor {
  return tidy(() => {
    const ids = sparseTargets('sparseCategoricalCrossentropy', yTrue, yPred);
    const C = yPred.shape[yPred.rank - 1];
    const target = cast(reshape(oneHot(reshape(ids, [-1]), C), yPred.shape), yPred.dtype);
    if (options.fromLogits) return neg(sum(mul(target, logSoftmax(yPred, -1)), -1));
    return categoricalCrossentropy(target, clip(yPred));
  });
}

/**
 * Binary cross-entropy, the mean over the last axis. On probabilities it is tfjs' (and Keras')
 * clip to [ε, 1 − ε] then the stable logit form; `fromLogits` takes logits directly.
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options: { fromLogits?: boolean } = {}): Tensor {
  sameShape('binaryCrossentropy', yTrue, yPred);
  return tidy(() => {
    const y = cast(yTrue, yPred.dtype);
    let logits = yPred;
    if (!options.fromLogits) {
      const p = clip(yPred);
      logits = log(div(p, sub(1, p)));
    }
    // relu(z) − z·y + log(1 + e^−|z|)
    const loss = add(sub(relu(logits), mul(logits, y)), softplus(neg(abs(logits))));
    return mean(loss, -1);
  });
}

/** Keras' Huber loss (delta 1): quadratic within delta, linear outside, mean over the last axis. */
export function huber(yTrue: Tensor, yPred: Tensor, options: { delta?: number } = {}): Tensor {
  sameShape('huber', yTrue, yPred);
  const delta = options.delta ?? 1;
  return tidy(() => {
    const e = abs(sub(yPred, cast(yTrue, yPred.dtype)));
    const q = minimum(e, delta);
    return mean(add(mul(mul(q, q), 0.5), mul(sub(e, q), delta)), -1);
  });
}

/** Keras' log-cosh: log(cosh(yPred − yTrue)), mean over the last axis (stable form). */
export function logCosh(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('logCosh', yTrue, yPred);
  return tidy(() => {
    const d = sub(yPred, cast(yTrue, yPred.dtype));
    return mean(sub(add(d, softplus(mul(d, -2))), Math.log(2)), -1);
  });
}

/** mean(|(yTrue − yPred) / yTrue|, −1) · 100 */
export function meanAbsolutePercentageError(yTrue: Tensor, yPred: Tensor): Tensor {
  sameShape('meanAbsolutePercentageError', yTrue, yPred);
  return tidy(() => {
    const t = cast(yTrue, yPred.dtype);
    return mul(mean(abs(div(sub(t, yPred), maximum(abs(t), EPSILON))), -1), 100);
  });
}

/** A resolved loss: its function and what the trainer needs to know about it. */
export interface LossSpec {
  /** The loss, (yTrue, yPred) → per-sample values. */
  fn: LossFn;
  /** The canonical camelCase name, or 'custom'. */
  name: string;
  /** Whether its targets are class ids (sparse), which decides what 'accuracy' means. */
  sparse: boolean;
  /** Whether it is binary cross-entropy (accuracy then thresholds at 0.5). */
  binary: boolean;
}

const NAMED: Record<string, (fromLogits: boolean) => LossFn> = {
  meanSquaredError: () => meanSquaredError,
  meanAbsoluteError: () => meanAbsoluteError,
  meanAbsolutePercentageError: () => meanAbsolutePercentageError,
  huber: () => huber,
  logCosh: () => logCosh,
  binaryCrossentropy: (l) => (t, p) => binaryCrossentropy(t, p, { fromLogits: l }),
  categoricalCrossentropy: (l) => (t, p) => categoricalCrossentropy(t, p, { fromLogits: l }),
  sparseCategoricalCrossentropy: (l) => (t, p) => sparseCategoricalCrossentropy(t, p, { fromLogits: l }),
};

const ALIASES: Record<string, string> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  logcosh: 'logCosh',
  huberLoss: 'huber',
};

/** A loss given by name or config: 'mse', 'sparse_categorical_crossentropy', { className, config: { fromLogits } }. */
export type LossIdentifier =
  | string
  | LossFn
  | {
      /** tfjs' class name ('SparseCategoricalCrossentropy'). */
      className?: string;
      /** Keras' class name. */
      class_name?: string;
      /** A loss name. */
      name?: string;
      /** Its arguments. */
      config?: {
        /** Predictions are logits, not probabilities (tfjs' spelling). */
        fromLogits?: boolean;
        /** Keras' spelling of fromLogits. */
        from_logits?: boolean;
      };
    };

/** Resolves a loss name ('mse', 'sparseCategoricalCrossentropy', Keras' snake_case or class names) or function. */
export function resolveLoss(id: LossIdentifier): LossSpec {
  if (typeof id === 'function') return { fn: id, name: id.name || 'custom', sparse: false, binary: false };
  let raw: string;
  let fromLogits = false;
  if (typeof id === 'string') raw = id;
  else if (id && typeof id === 'object') {
    raw = String(id.className ?? id.class_name ?? id.name ?? '');
    fromLogits = Boolean(id.config?.fromLogits ?? id.config?.from_logits ?? false);
  } else throw new ConfigError(`loss: expected a name, a function or { className, config }, got ${JSON.stringify(id)}`);
  const norm = raw.toLowerCase().replace(/_/g, '');
  const key =
    Object.keys(NAMED).find((k) => k.toLowerCase() === norm) ??
    Object.entries(ALIASES).find(([a]) => a.toLowerCase() === norm)?.[1];
  if (!key) {
    throw new ConfigError(
      `loss: unknown loss '${raw}' (known: ${[...Object.keys(NAMED), ...Object.keys(ALIASES)].join(', ')})`,
    );
  }
  return {
    fn: NAMED[key](fromLogits),
    name: key,
    sparse: key === 'sparseCategoricalCrossentropy',
    binary: key === 'binaryCrossentropy',
  };
}
