import { tidy } from '../engine';
import type { Tensor } from '../tensor';
import { sub } from './binary';
import { detach } from './convert';
import { max, sum } from './reduce';
import { resolveAxis } from './shape-ops';
import { exp, log } from './unary';

/**
 * log(softmax(x)) along `axis`, as (x - m) - log(sum(exp(x - m))) with m the max: never takes log
 * of 0, and keeps float32 precision for large logits. The shift m is a constant for gradients.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = resolveAxis('logSoftmax', axis, x.rank);
  return tidy(() => {
    const shifted = sub(x, detach(max(x, a, { keepDims: true })));
    return sub(shifted, log(sum(exp(shifted), a, { keepDims: true })));
  });
}

/** exp(x) / sum(exp(x)) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = resolveAxis('softmax', axis, x.rank);
  return tidy(() => exp(logSoftmax(x, a)));
}
