import { KERNELS_WASM_BASE64 } from './kernels-binary.generated';

/** The part of the WebAssembly API used here (ES2022's lib has none; no DOM or Node types are needed). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
};

/** The functions assembly/kernels.ts exports; every pointer is a byte offset into `memory`. */
export interface KernelExports {
  memory: WasmMemory;
  packedSize(K: number, N: number): number;
  packB(K: number, N: number, b: number, rs: number, cs: number, dst: number): void;
  gemmScratchSize(): number;
  gemm(
    M: number,
    N: number,
    K: number,
    a: number,
    ars: number,
    acs: number,
    pb: number,
    c: number,
    ldc: number,
    accumulate: number,
    pa: number,
  ): void;
  activate(which: number, x: number, out: number, n: number): void;
  lstmStep(
    na: number,
    H: number,
    xw: number,
    hw: number,
    bhh: number,
    c: number,
    h: number,
    ws: number,
    wsW: number,
  ): void;
  lstmBackStep(na: number, H: number, ws: number, wsW: number, dh: number, dc: number, dG: number): void;
  gruStep(na: number, H: number, xw: number, hw: number, bhh: number, h: number, ws: number, wsW: number): void;
  gruBackStep(na: number, H: number, ws: number, wsW: number, dh: number, dG: number, dA: number, dNext: number): void;
  rnnStep(na: number, H: number, xw: number, hw: number, bhh: number, h: number, ws: number, wsW: number): void;
  rnnBackStep(na: number, H: number, ws: number, wsW: number, dh: number, dG: number): void;
  colSums(rows: number, cols: number, src: number, stride: number, dst: number): void;
  broadcastRows(rows: number, cols: number, bias: number, dst: number): void;
}

const PAGE = 65536;
// The module's own static data lives in the first page; the arena starts after it.
const ARENA_START = PAGE;

/**
 * The instantiated kernels plus a bump arena over their memory. A kernel call resets the arena,
 * allocates what it needs, then takes a view: memory only grows (never shrinks), so a training
 * loop reaches its high-water mark in the first step and allocates nothing after it.
 */
export class WasmKernels {
  private top = ARENA_START;
  private view: Float32Array;

  constructor(readonly fn: KernelExports) {
    this.view = new Float32Array(fn.memory.buffer);
  }

  reset(): void {
    this.top = ARENA_START;
  }

  /** Room for `floats` float32 values, 16-byte aligned; returns the byte offset. */
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((floats * 4) / 16) * 16;
    const have = this.fn.memory.buffer.byteLength;
    if (this.top > have) this.fn.memory.grow(Math.ceil((Math.max(this.top, 2 * have) - have) / PAGE));
    return at;
  }

  /** The memory as float32 values; call after the last `alloc` of a call (growing detaches old views). */
  f32(): Float32Array {
    if (this.view.buffer !== this.fn.memory.buffer) this.view = new Float32Array(this.fn.memory.buffer);
    return this.view;
  }

  /** Copies `data` in at a fresh allocation and returns its byte offset. */
  put(data: ArrayLike<number>): number {
    const at = this.alloc(data.length);
    this.f32().set(data, at / 4);
    return at;
  }

  /** A copy of `floats` values at byte offset `at`. */
  take(at: number, floats: number): Float32Array {
    return this.f32().slice(at / 4, at / 4 + floats);
  }

  /** Bytes of memory the arena holds (its high-water mark). */
  get memoryBytes(): number {
    return this.fn.memory.buffer.byteLength;
  }
}

let loaded: WasmKernels | null | undefined;
let pending: Promise<WasmKernels | null> | undefined;

function bytes(): Uint8Array {
  const text = atob(KERNELS_WASM_BASE64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
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
  const code = bytes();
  if (!WebAssembly.validate(code)) return (loaded = null); // no SIMD in this engine
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code), {});
    loaded = new WasmKernels(instance.exports as unknown as KernelExports);
  } catch {
    void wasmReady();
    return null;
  }
  return loaded;
}

/** Resolves once the kernels are compiled (true) or known to be unavailable (false). */
export function wasmReady(): Promise<boolean> {
  if (loaded !== undefined) return Promise.resolve(loaded !== null);
  const started: Promise<WasmKernels | null> =
    pending ??
    WebAssembly.instantiate(bytes(), {}).then(
      (r) => (loaded = new WasmKernels(r.instance.exports as unknown as KernelExports)),
      () => (loaded = null),
    );
  pending = started;
  return started.then((k) => k !== null);
}

/** Whether the WebAssembly SIMD kernels are loaded and in use for float32 work. */
export function wasmAvailable(): boolean {
  return wasmKernels() !== null;
}
