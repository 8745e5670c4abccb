import {
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_SHARED_RELAXED_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from './kernels-binary.generated';
import { type KernelExports, WasmKernels, type WasmMemory } from './runtime';

/** The part of the WebAssembly API used here (ES2022's lib has none; no DOM or Node types are needed). */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
};

// Which build of the kernels this runtime can run, loaded once (the module's state is the loaded instance).

let loaded: WasmKernels | null | undefined;
let pending: Promise<WasmKernels | null> | undefined;

function bytes(base64: string): Uint8Array {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Which build of the kernels runs: 'relaxed' (relaxed SIMD: fused multiply-adds, one rounding per
 * product-sum; Node ≥ 22, current browsers) or 'simd' (WebAssembly SIMD 128; Node 20). The results
 * differ by float32 rounding only. `RECUR_WASM_SIMD=plain` in the environment forces 'simd'.
 */
export type WasmVariant = 'relaxed' | 'simd';
const BUILDS: Record<WasmVariant, { single: string; shared: string }> = {
  relaxed: { single: KERNELS_RELAXED_WASM_BASE64, shared: KERNELS_SHARED_RELAXED_WASM_BASE64 },
  simd: { single: KERNELS_WASM_BASE64, shared: KERNELS_SHARED_WASM_BASE64 },
};
let variant: WasmVariant | null = null;

function wanted(): WasmVariant[] {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.RECUR_WASM_SIMD;
  return env === 'plain' || env === 'simd' ? ['simd'] : ['relaxed', 'simd'];
}

/** The builds this engine can run (validated), best first. */
export function wasmVariantsAvailable(): WasmVariant[] {
  if (typeof WebAssembly === 'undefined') return [];
  return (['relaxed', 'simd'] as const).filter((v) => WebAssembly.validate(bytes(BUILDS[v].single)));
}

/** The build in use (after the kernels load), or null when the TypeScript kernels run. */
export function wasmVariant(): WasmVariant | null {
  return wasmKernels() ? variant : null;
}

/** A fresh single-thread instance of one build (tests and benchmarks compare the two); null if the engine refuses it. */
export function wasmKernelsOf(v: WasmVariant): WasmKernels | null {
  const code = bytes(BUILDS[v].single);
  return WebAssembly.validate(code) ? singleThreadKernels(code) : null;
}

/**
 * The SIMD kernels, or null where WebAssembly SIMD is unavailable. Compiles synchronously on first
 * use; where a browser refuses synchronous compilation on its main thread, compiles in the
 * background and answers null (the TypeScript kernels run) until `wasmReady()` resolves.
 */
export function wasmKernels(): WasmKernels | null {
  if (loaded !== undefined) return loaded;
  if (pending) return null;
  if (typeof WebAssembly === 'undefined') return (loaded = null);
  const v = wanted().find((w) => WebAssembly.validate(bytes(BUILDS[w].single)));
  if (!v) return (loaded = null); // no SIMD in this engine
  variant = v;
  const code = bytes(BUILDS[v].single);
  try {
    loaded = sharedMemoryKernels(v) ?? singleThreadKernels(code);
  } catch {
    void wasmReady();
    return null;
  }
  return loaded;
}

/**
 * Resolves once the kernels are compiled (true) or known to be unavailable (false), and with
 * `threads` > 1, once that many worker threads are running (for benchmarks and tests that want
 * the first call to be threaded; otherwise threads join in as they come up).
 */
export async function wasmReady(threads = 1): Promise<boolean> {
  const k = wasmKernels();
  if (k) await k.whenThreads(threads);
  if (loaded !== undefined) return loaded !== null;
  const started: Promise<WasmKernels | null> =
    pending ??
    WebAssembly.instantiate(bytes(BUILDS[variant ?? 'simd'].single), {}).then(
      (r) => (loaded = new WasmKernels(r.instance.exports as unknown as KernelExports)),
      () => (loaded = null),
    );
  pending = started;
  return (await started) !== null;
}

/**
 * The kernels' memory: its size in bytes (it only grows, to a training loop's high-water mark) and
 * the workspaces held in it for a backward still to come. null when the kernels are not loaded.
 */
export function wasmMemory(): {
  /** Bytes the module's memory holds. */
  bytes: number;
  /** Workspaces kept for a backward still to come. */
  retainedBlocks: number;
} | null {
  const k = loaded ?? null;
  return k ? { bytes: k.memoryBytes, retainedBlocks: k.retainedBlocks } : null;
}

/** Whether the WebAssembly SIMD kernels are loaded and in use for float32 work. */
export function wasmAvailable(): boolean {
  return wasmKernels() !== null;
}

function singleThreadKernels(code: Uint8Array): WasmKernels {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(code), {});
  return new WasmKernels(instance.exports as unknown as KernelExports);
}

/** The shared-memory build, where threads can exist (Node; cross-origin isolated pages); else null. */
function sharedMemoryKernels(v: WasmVariant): WasmKernels | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) return null;
  const code = bytes(BUILDS[v].shared);
  if (!WebAssembly.validate(code)) return null;
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 32768, shared: true });
  const module = new WebAssembly.Module(code);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return new WasmKernels(instance.exports as unknown as KernelExports, { module, memory });
}
