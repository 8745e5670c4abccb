import { cast, DTypeError, formatShape, hostValues, RecurError, runKernel, type Tensor, tidy } from '@recur/tensor';

/*
 * The embedding op: a gather of rows by integer ids, recorded as the 'embedding' kernel so its
 * gradient rule (autograd's rules/embedding.ts) leaves the padding row alone. Every backend
 * gathers; there is no other kernel to dispatch to.
 */

/**
 * Looks rows of `weight` up by integer ids, checking every id against the vocabulary size where
 * the backend reads synchronously (a GPU backend goes without the check, as TensorFlow.js' do).
 */
export function embeddingLookup(layer: string, weight: Tensor, ids: Tensor, paddingIdx: number | null): Tensor {
  if (ids.dtype === 'float32' || ids.dtype === 'float64') {
    throw new DTypeError(`${layer}: expected integer token ids (int32), got ${ids.dtype} ${formatShape(ids.shape)}`);
  }
  const V = weight.shape[0];
  const values = hostValues(ids) ?? [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= V) {
      throw new RecurError(
        `${layer}: token id ${values[i]} at flat position ${i} of ${formatShape(ids.shape)} is out of range for vocabulary size ${V}`,
        'value',
      );
    }
  }
  // The gradient rule is autograd's rules/embedding.ts.
  return tidy(() => {
    const idx = ids.dtype === 'int32' ? ids : cast(ids, 'int32');
    return runKernel('embedding', [weight, idx], { paddingIdx }, (b, w, i) => b.gather(w, i, 0));
  });
}
