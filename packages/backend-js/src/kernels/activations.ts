import type { ActivationName } from '@recur/backend-api';

export type Activation = {
  fn: (x: number) => number /** derivative as a function of the output y */;
  dy: (y: number) => number;
};

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The activations of the fused recurrent kernels. Each derivative is written in terms of the output. */
export const ACTIVATIONS: Record<ActivationName, Activation> = {
  tanh: { fn: Math.tanh, dy: (y) => 1 - y * y },
  sigmoid: { fn: sigmoid, dy: (y) => y * (1 - y) },
  relu: { fn: (x) => Math.max(x, 0), dy: (y) => (y > 0 ? 1 : 0) },
  linear: { fn: (x) => x, dy: () => 1 },
  // Keras 2's hard_sigmoid: clip(0.2x + 0.5, 0, 1).
  hardSigmoid: { fn: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)), dy: (y) => (y > 0 && y < 1 ? 0.2 : 0) },
};
