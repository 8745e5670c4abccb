import { cast, max, min, notEqual, stack, type Tensor, tidy } from '@recur/tensor';

/** True where any element along `axis` is true (a bool tensor). */
export function anyAlong(mask: Tensor, axis: number): Tensor {
  return tidy(() => notEqual(max(cast(mask, 'int32'), axis), 0));
}

/** Elementwise OR of masks of one shape. */
export function orMasks(masks: Tensor[]): Tensor {
  return tidy(() => (masks.length === 1 ? cast(masks[0], 'bool') : anyAlong(stack(masks, 0), 0)));
}

/** Elementwise AND of masks of one shape. */
export function andMasks(masks: Tensor[]): Tensor {
  return tidy(() =>
    masks.length === 1 ? cast(masks[0], 'bool') : notEqual(min(cast(stack(masks, 0), 'int32'), 0), 0),
  );
}
