import { matMul, randomUniform, setBackend } from '@recur/tensor';
import { timeRuns } from './timing';

let measured: number | undefined;

/**
 * backend-js's GFLOP/s on the 1024² product (all threads, as users get it), measured once per
 * run: the ceiling the training tables report their GFLOP/s against, on the same machine in the
 * same run. The fastest run counts (a ceiling; a median would drift down with the machine's
 * noise and flatter the fractions).
 */
export async function gemmReferenceGflops(): Promise<number> {
  if (measured !== undefined) return measured;
  setBackend('js');
  const n = 1024;
  const a = randomUniform([n, n], -1, 1, { seed: 1 });
  const b = randomUniform([n, n], -1, 1, { seed: 2 });
  const [ms] = await timeRuns(() => matMul(a, b).dispose(), 4000, 9);
  a.dispose();
  b.dispose();
  measured = (2 * n ** 3) / ms / 1e6;
  return measured;
}

/** "41.2 GFLOP/s = 0.78 × gemm" for a workload of `flops` that took `ms`. */
export function gemmFraction(flops: number, ms: number | null, gemm: number): string | undefined {
  if (!ms) return undefined;
  const gflops = flops / ms / 1e6;
  return `${gflops.toFixed(1)} GFLOP/s = ${(gflops / gemm).toFixed(2)} × gemm`;
}
