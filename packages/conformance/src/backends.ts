import { JsBackend } from '@recur/backend-js';
import { OrtBackend } from '@recur/backend-ort';
import { TfjsBackend } from '@recur/backend-tfjs';
import { type Backend, ready } from '@recur/tensor';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export interface BackendSpec {
  name: string;
  create: () => Backend;
  /** Runs before the backend is made (tfjs-wasm's thread count). */
  setup?: () => Promise<void>;
  /** false for backends without float64 (gradcheck, which needs it, runs on the others). */
  float64: boolean;
  /** Runs whole compiled models only (onnxruntime): the runner checks forward cases through it. */
  wholeModel?: boolean;
}

/** Every backend the suite runs against. Adding a backend is one line here. */
export const BACKENDS: BackendSpec[] = [
  // backend-js as users get it: float32 products and fused recurrent kernels on WebAssembly SIMD.
  { name: 'js', create: () => new JsBackend(), float64: true },
  // backend-js with the WebAssembly kernels forced off: every kernel in TypeScript (the fallback).
  { name: 'js-ts', create: () => new JsBackend({ wasm: false }), float64: true },
  // backend-js with its fused kernels off: the composed per-step path every other backend falls back to.
  { name: 'js-composed', create: () => new JsBackend({ fused: false }), float64: true },
  { name: 'tfjs-cpu', create: () => new TfjsBackend({ backend: 'cpu' }), float64: false },
  // One WebAssembly thread, set before tfjs-wasm starts (it starts with the backend's init()).
  {
    name: 'tfjs-wasm',
    create: () => new TfjsBackend({ backend: 'wasm' }),
    setup: async () => setThreadsCount(1),
    float64: false,
  },
  // onnxruntime-node: forward cases only, each model compiled into one InferenceSession.
  { name: 'ort', create: () => new OrtBackend(), float64: false, wholeModel: true },
];

/** Short names: `--backend tfjs` is TensorFlow.js on its CPU backend. */
export const BACKEND_ALIASES: Record<string, string> = { tfjs: 'tfjs-cpu' };

export function backendSpec(name: string): BackendSpec | undefined {
  return BACKENDS.find((b) => b.name === (BACKEND_ALIASES[name] ?? name));
}

/** The backend named, set up and ready. */
export async function backendNamed(name: string): Promise<Backend> {
  const entry = backendSpec(name);
  if (!entry) throw new Error(`unknown backend '${name}'; available: ${BACKENDS.map((b) => b.name).join(', ')}`);
  await entry.setup?.();
  // The backend's own start-up (TensorFlow.js picks its backend asynchronously).
  return ready(entry.create());
}
