import { JsBackend } from '@recur/backend-js';
import type { Backend } from '@recur/tensor';

/** Every backend the suite runs against. Adding a backend is one line here. */
export const BACKENDS: { name: string; create: () => Backend }[] = [
  { name: 'js', create: () => new JsBackend() },
  // backend-js with its fused kernels off: the composed per-step path every other backend falls back to.
  { name: 'js-composed', create: () => new JsBackend({ fused: false }) },
];

export function backendNamed(name: string): Backend {
  const entry = BACKENDS.find((b) => b.name === name);
  if (!entry) throw new Error(`unknown backend '${name}'; available: ${BACKENDS.map((b) => b.name).join(', ')}`);
  return entry.create();
}
