import type { Tensor } from '@recur/tensor';

/** True when every element is finite (no NaN, no ±Inf). */
export function allFinite(t: Tensor): boolean {
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}
