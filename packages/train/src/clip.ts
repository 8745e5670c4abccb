import { cast, keep, maximum, minimum, mul, RecurError, stack, sum, type Tensor, tidy } from '@recur/tensor';
import { type Reads, readAsync, readSync } from './reads';

/** What clipping returns: the total norm before clipping and the (scaled) gradients. */
export interface ClippedGrads {
  /** The global L2 norm of the gradients before clipping. */
  norm: number;
  /** The gradients, scaled when the norm exceeded the maximum (else the same tensors). */
  grads: Tensor[];
}

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm over all gradients; when it exceeds
 * `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping
 * and the (new or same) gradients; replaced gradients are disposed.
 */
export function clipGradNorm(
  grads: Tensor[],
  maxNorm: number,
  options: { errorIfNonfinite?: boolean } = {},
): ClippedGrads {
  return readSync(clipPlan(grads, maxNorm, options));
}

/** clipGradNorm reading the norm asynchronously (any backend): what the training step calls. */
export function clipGradNormAsync(
  grads: Tensor[],
  maxNorm: number,
  options: { errorIfNonfinite?: boolean } = {},
): Promise<ClippedGrads> {
  return readAsync(clipPlan(grads, maxNorm, options));
}

function* clipPlan(grads: Tensor[], maxNorm: number, options: { errorIfNonfinite?: boolean }): Reads<ClippedGrads> {
  // One read: each gradient's Σ g², summed on the host in order (as before, in float64).
  const squares = tidy(() =>
    stack(
      grads.map((g) => {
        const s = sum(mul(g, g));
        return s.dtype === grads[0].dtype ? s : cast(s, grads[0].dtype);
      }),
    ),
  );
  let values: ArrayLike<number>;
  try {
    values = yield squares;
  } finally {
    squares.dispose();
  }
  const norm = Math.sqrt(Array.from(values).reduce((acc, v) => acc + v, 0));
  if (!Number.isFinite(norm) && options.errorIfNonfinite) {
    throw new RecurError(
      `clipGradNorm: the total norm of the gradients is ${norm}; set errorIfNonfinite: false to clip anyway`,
    );
  }
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return { norm, grads };
  const clipped = grads.map((g) => keep(mul(g, coef)));
  for (const g of grads) g.dispose();
  return { norm, grads: clipped };
}

/** torch.nn.utils.clip_grad_value_: clamps every element to [-clipValue, clipValue]. */
export function clipGradValue(grads: Tensor[], clipValue: number): Tensor[] {
  const out = grads.map((g) => keep(tidy(() => clampTensor(g, clipValue))));
  for (const g of grads) g.dispose();
  return out;
}

function clampTensor(g: Tensor, c: number): Tensor {
  return maximum(minimum(g, c), -c);
}
