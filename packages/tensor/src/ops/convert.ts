import type { DType } from '@recur/backend-api';
import { runKernel } from '../engine';
import { Tensor } from '../tensor';

/** Converts to `dtype` (floats to int32 truncate toward zero; nonzero → true for bool). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return clone(x);
  return runKernel('cast', [x], { dtype }, (b, s) => b.cast(s, dtype));
}

/** A new tensor with the same values; gradients flow through it. */
export function clone(x: Tensor): Tensor {
  return runKernel('identity', [x], {}, (b, s) => b.reshape(s, s.shape));
}

/** The same values, cut off from gradient tracking (PyTorch's `detach`, tf's `stopGradient`). */
export function detach(x: Tensor): Tensor {
  x.assertAlive('detach');
  return new Tensor(x.backend.reshape(x.storage, x.shape), x.backend);
}

/** `value` as a scalar tensor on x's backend, with x's dtype (or `dtype`). */
export function scalarLike(x: Tensor, value: number, dtype: DType = x.dtype): Tensor {
  return new Tensor(x.backend.fill([], value, dtype), x.backend);
}
