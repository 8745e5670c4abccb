import {
  add,
  cast,
  DTypeError,
  div,
  formatShape,
  gather,
  hostValues,
  logSoftmax,
  mul,
  neg,
  notEqual,
  oneHot,
  reshape,
  ShapeError,
  sum,
  type Tensor,
  tidy,
  ValueError,
  where,
} from '@recur/tensor';

/** How a loss reduces its per-element values: their mean, their sum, or none. */
export type Reduction = 'mean' | 'sum' | 'none';

/** crossEntropy's options (PyTorch's F.cross_entropy arguments). */
export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing and are not counted in the mean (PyTorch: -100). */
  ignoreIndex?: number;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Mixes the one-hot target with a uniform distribution: (1 − ε)·onehot + ε / C. */
  labelSmoothing?: number;
  /** Per-class weights [C]; the mean divides by the summed weights of the counted targets, as PyTorch. */
  weight?: Tensor;
}

/**
 * Integer class targets in [0, C) or equal to ignoreIndex, and a label smoothing in [0, 1]: a
 * clear error naming the first offending target otherwise (targets are checked where the backend
 * reads synchronously).
 */
export function checkClassTargets(name: string, targets: Tensor, C: number, ignore: number, eps: number): void {
  if (targets.dtype === 'float32' || targets.dtype === 'float64') {
    throw new DTypeError(`${name}: targets must be integer class indices, got ${targets.dtype}`);
  }
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`${name}: labelSmoothing must be in [0, 1], got ${eps}`);
  const t = hostValues(targets) ?? [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== ignore && (t[i] < 0 || t[i] >= C)) {
      throw new ValueError(
        `${name}: target ${t[i]} at flat position ${i} is outside 0..${C - 1} (and is not ignoreIndex ${ignore})`,
      );
    }
  }
}

/**
 * Softmax cross-entropy from logits, as torch.nn.functional.cross_entropy with class indices,
 * but with the classes on the last axis (logits [..., C], targets [...] integer).
 *
 * @example
 * ```ts
 * import { tensor } from '@recur/tensor';
 * import { crossEntropy } from '@recur/train';
 * const logits = tensor([[[2, 0, 0], [0, 2, 0], [0, 0, 2]]]); // [batch 1, time 3, classes 3]
 * const targets = tensor([[0, 1, -100]], { dtype: 'int32' }); // -100: padding, ignored
 * console.log(crossEntropy(logits, targets).item().toFixed(4)); // '0.2395'
 * console.log(crossEntropy(logits, targets, { labelSmoothing: 0.1 }).item().toFixed(4)); // '0.3729'
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const C = logits.shape[logits.rank - 1];
  const lead = logits.shape.slice(0, -1);
  if (targets.shape.length !== lead.length || targets.shape.some((d, i) => d !== lead[i])) {
    throw new ShapeError(
      `crossEntropy: targets ${formatShape(targets.shape)} should match the logits ${formatShape(logits.shape)} without the class axis (${formatShape(lead)})`,
    );
  }
  const ignore = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  checkClassTargets('crossEntropy', targets, C, ignore, eps);
  if (options.weight && (options.weight.rank !== 1 || options.weight.shape[0] !== C)) {
    throw new ShapeError(`crossEntropy: weight should be [${C}], got ${formatShape(options.weight.shape)}`);
  }
  return tidy(() => {
    const logp = logSoftmax(logits, -1);
    const valid = notEqual(targets, ignore);
    const safe = where(valid, cast(targets, 'int32'), 0);
    const validF = cast(valid, logp.dtype);
    const w = options.weight ? cast(options.weight, logp.dtype) : null;
    // -w[y]·log p[y] per position, and the weight each position counts with in the mean.
    const target1h = cast(oneHot(safe, C), logp.dtype);
    const nll = neg(sum(mul(logp, target1h), -1));
    const wy = w ? reshape(gather(w, reshape(safe, [-1]), 0), safe.shape) : null;
    let loss = wy ? mul(nll, wy) : nll;
    if (eps > 0) {
      const smooth = neg(sum(w ? mul(logp, w) : logp, -1));
      loss = add(mul(loss, 1 - eps), mul(smooth, eps / C));
    }
    loss = mul(loss, validF);
    const reduction = options.reduction ?? 'mean';
    if (reduction === 'none') return loss;
    if (reduction === 'sum') return sum(loss);
    const denom = sum(wy ? mul(wy, validF) : validF);
    // All targets ignored: PyTorch returns NaN (0/0); so do we, rather than a silent 0.
    return div(sum(loss), denom);
  });
}
