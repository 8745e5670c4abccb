import { cast, detach, formatShape, mul, randomUniform, sum, type Tensor, tensor, tidy } from '@recur/tensor';
import { grads } from './grad';

/** How `gradcheck` compares analytic and numeric gradients. */
export interface GradcheckOptions {
  /** Finite-difference step (float64). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random projection that turns a non-scalar output into a scalar. */
  seed?: number;
}

/** What `gradcheck` found. */
export interface GradcheckResult {
  /** Whether every element agrees within atol + rtol·|numeric|. */
  ok: boolean;
  /** The largest absolute difference between analytic and numeric gradients. */
  maxAbsError: number;
  /** The largest relative difference. */
  maxRelError: number;
  /** Where the largest disagreement is, e.g. "input 1 [2, 3] at flat index 4: analytic 0.3, numeric 0.31". */
  worst: string;
}

/**
 * Compares the analytic gradients of `f` with central finite differences, in float64, as
 * torch.autograd.gradcheck does. A non-scalar output is reduced to sum(f(x) · r) with a fixed
 * random r, which checks the vector–Jacobian product every rule computes. Integer and bool
 * inputs (indices, masks) are passed through and not differentiated.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  return tidy(() => {
    const xs = inputs.map((x) => (x.dtype === 'float32' || x.dtype === 'float64' ? cast(detach(x), 'float64') : x));
    const probe = f(...xs);
    const projection = randomUniform(probe.shape, -1, 1, { dtype: 'float64', seed: options.seed ?? 1234 });
    probe.dispose();
    const loss = (...args: Tensor[]) => sum(mul(cast(f(...args), 'float64'), projection));
    const analytic = grads(loss)(xs);
    let maxAbsError = 0;
    let maxRelError = 0;
    let worst = 'no differentiable input';
    let ok = true;
    xs.forEach((x, i) => {
      if (x.dtype !== 'float64') return;
      const base = x.dataSync() as Float64Array;
      const got = analytic[i].dataSync();
      for (let k = 0; k < base.length; k++) {
        const at = (delta: number) =>
          tidy(() => {
            const values = base.slice();
            values[k] += delta;
            const args = xs.map((y, j) => (j === i ? tensor(values, { shape: x.shape, dtype: 'float64' }) : y));
            return loss(...args).item();
          });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const abs = Math.abs(numeric - got[k]);
        const rel = abs / Math.max(Math.abs(numeric), 1e-12);
        const bad = !(abs <= atol + rtol * Math.abs(numeric));
        if (abs > maxAbsError || (bad && ok)) {
          worst = `input ${i} ${formatShape(x.shape)} at flat index ${k}: analytic ${got[k]}, numeric ${numeric}`;
        }
        maxAbsError = Math.max(maxAbsError, abs);
        maxRelError = Math.max(maxRelError, rel);
        if (bad) ok = false;
      }
    });
    return { ok, maxAbsError, maxRelError, worst };
  });
}
