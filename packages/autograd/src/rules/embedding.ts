import { cast, mul, notEqual, reshape, scatterAdd, tensor } from '@recur/tensor';
import type { GradRule } from './rule';

/**
 * The `embedding` kernel (inputs: weight [V, D], int32 ids; attrs.paddingIdx): gather's gradient,
 * a scatter-add of dy into the rows the ids picked, except that the padding row gets none
 * (PyTorch's padding_idx).
 */
export const embeddingRule: GradRule = ({ inputs: [weight, ids], attrs }, [dy]) => {
  const dW = scatterAdd(weight.shape, ids, dy, 0);
  const paddingIdx = attrs.paddingIdx as number | null;
  if (paddingIdx === null || paddingIdx === undefined) return [dW, null];
  const rows = tensor(
    Array.from({ length: weight.shape[0] }, (_, i) => i),
    { dtype: 'int32' },
  );
  const keepRow = cast(reshape(notEqual(rows, paddingIdx), [-1, 1]), dW.dtype);
  return [mul(dW, keepRow), null];
};
