import { JsBackend } from '@recur/backend-js';
import { OrtBackend } from '@recur/backend-ort';
import { TfjsBackend } from '@recur/backend-tfjs';
import type { Backend } from '@recur/tensor';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export interface BackendSpec {
  name: string;
  create: () => Backend;
  /** Runs before the backend is used (tfjs picks its own backend asynchronously). */
  setup?: () => Promise<void>;
  /** false for backends without float64 (gradcheck, which needs it, runs on the others). */
  float64: boolean;
  /** Runs whole compiled models only (onnxruntime): the runner checks forward cases through it. */
  wholeModel?: boolean;
}

async function useTfjs(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') setThreadsCount(1);
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' could not start`);
  await tf.ready();
}

/** Every backend the suite runs against. Adding a backend is one line here. */
export const BACKENDS: BackendSpec[] = [
  // backend-js as users get it: float32 products and fused recurrent kernels on WebAssembly SIMD.
  { name: 'js', create: () => new JsBackend(), float64: true },
  // backend-js with the WebAssembly kernels forced off: every kernel in TypeScript (the fallback).
  { name: 'js-ts', create: () => new JsBackend({ wasm: false }), float64: true },
  // backend-js with its fused kernels off: the composed per-step path every other backend falls back to.
  { name: 'js-composed', create: () => new JsBackend({ fused: false }), float64: true },
  { name: 'tfjs-cpu', create: () => new TfjsBackend(), setup: () => useTfjs('cpu'), float64: false },
  { name: 'tfjs-wasm', create: () => new TfjsBackend(), setup: () => useTfjs('wasm'), float64: false },
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
  return entry.create();
}
