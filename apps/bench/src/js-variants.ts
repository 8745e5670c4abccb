import { JsBackend, wasmReady } from '@recur/backend-js';
import { registerBackend } from '@recur/tensor';

/**
 * backend-js three ways, so one run shows what the WebAssembly kernels and the second core each
 * bring: as users get it (SIMD kernels, all cores), SIMD on one thread, and TypeScript only.
 */
export const JS_VARIANTS = [
  { backend: 'js', label: 'recur backend-js' },
  { backend: 'js-1thread', label: 'recur backend-js (1 thread)' },
  { backend: 'js-typescript', label: 'recur backend-js (TypeScript kernels)' },
] as const;

export async function registerJsVariants(): Promise<void> {
  registerBackend('js-1thread', () => new JsBackend({ threads: 1 }));
  registerBackend('js-typescript', () => new JsBackend({ wasm: false }));
  // Start the worker threads now, so no timed call pays for their start-up.
  await wasmReady(Number.POSITIVE_INFINITY);
}
