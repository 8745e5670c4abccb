import {
  abs,
  add,
  cast,
  div,
  exp,
  formatShape,
  log,
  maximum,
  mean,
  mul,
  neg,
  notEqual,
  oneHot,
  ShapeError,
  softplus,
  sub,
  sum,
  type Tensor,
  tidy,
  where,
} from '@recur/tensor';
import type { Reduction } from './cross-entropy';

function reduce(loss: Tensor, reduction: Reduction = 'mean'): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new ShapeError(`${op}: predictions ${formatShape(a.shape)} and targets ${formatShape(b.shape)} differ`);
  }
}

/** Mean squared error (torch.nn.functional.mse_loss). */
export function mse(predictions: Tensor, targets: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  sameShape('mse', predictions, targets);
  return tidy(() => {
    const d = sub(predictions, cast(targets, predictions.dtype));
    return reduce(mul(d, d), options.reduction);
  });
}

/**
 * Binary cross-entropy on logits, stable for large |x| (torch's binary_cross_entropy_with_logits):
 * max(x, 0) − x·y + log(1 + e^−|x|); `posWeight` scales the positive term.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  options: { reduction?: Reduction; posWeight?: number } = {},
): Tensor {
  sameShape('binaryCrossEntropyWithLogits', logits, targets);
  return tidy(() => {
    const y = cast(targets, logits.dtype);
    const pw = options.posWeight ?? 1;
    if (pw === 1) {
      const loss = add(sub(maximum(logits, 0), mul(logits, y)), log(add(exp(neg(abs(logits))), 1)));
      return reduce(loss, options.reduction);
    }
    // (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x)
    const loss = add(mul(sub(1, y), logits), mul(add(1, mul(y, pw - 1)), softplus(neg(logits))));
    return reduce(loss, options.reduction);
  });
}

/** Binary cross-entropy on probabilities (clamped as PyTorch does: log ≥ −100). */
export function binaryCrossEntropy(
  probabilities: Tensor,
  targets: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  sameShape('binaryCrossEntropy', probabilities, targets);
  return tidy(() => {
    const y = cast(targets, probabilities.dtype);
    const logP = maximum(log(probabilities), -100);
    const log1mP = maximum(log(sub(1, probabilities)), -100);
    return reduce(neg(add(mul(y, logP), mul(sub(1, y), log1mP))), options.reduction);
  });
}

/** Negative log-likelihood of log-probabilities [..., C] at integer targets (torch's nll_loss, classes last). */
export function nll(
  logProbs: Tensor,
  targets: Tensor,
  options: { ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  const C = logProbs.shape[logProbs.rank - 1];
  const ignore = options.ignoreIndex ?? -100;
  return tidy(() => {
    const valid = notEqual(targets, ignore);
    const safe = where(valid, cast(targets, 'int32'), 0);
    const validF = cast(valid, logProbs.dtype);
    const loss = mul(neg(sum(mul(logProbs, cast(oneHot(safe, C), logProbs.dtype)), -1)), validF);
    const r = options.reduction ?? 'mean';
    if (r === 'none') return loss;
    if (r === 'sum') return sum(loss);
    return div(sum(loss), sum(validF));
  });
}
