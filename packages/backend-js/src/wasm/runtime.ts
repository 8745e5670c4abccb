import { type KernelCall, ThreadPool } from './thread-pool';

/** A WebAssembly.Memory, as far as the kernels use it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

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
  colSums(rows: number, cols: number, src: number, stride: number, dst: number): void;
  broadcastRows(rows: number, cols: number, bias: number, dst: number): void;
  xentRows(
    rows: number,
    C: number,
    z: number,
    ld: number,
    targets: number,
    ignore: number,
    epsBits: number,
    loss: number,
    grad: number,
  ): void;
  scaleRows(rows: number, C: number, src: number, ld: number, g: number, dst: number): void;
  unitsScratchSize(na: number, G: number, Hu: number): number;
}

const PAGE = 65536;
// The module's own static data lives in the first page; the arena starts after it.
const ARENA_START = PAGE;
/** Packed weights kept between calls before the cache starts over (training makes new weights every step). */
const PACK_CACHE_BYTES = 64 << 20;
const MAX_PAGES = 32768; // 2 GiB: pointers stay positive i32s

/**
 * A region of kernel memory that outlives the call that made it: a forward's workspace, kept in
 * place until its backward has read it, so it is never copied out of wasm memory and back.
 * Released when the tensor that owns it is disposed.
 */
export class WasmBlock {
  released = false;

  constructor(
    private readonly owner: WasmKernels,
    /** Byte offset into the kernels' memory. */
    readonly at: number,
    readonly floats: number,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseBlock(this);
  }

  /** A copy of the values (for inspection; kernels read them in place). */
  copy(): Float32Array {
    return this.owner.take(this.at, this.floats);
  }
}

/**
 * The instantiated kernels plus a bump arena over their memory. Memory is, from the bottom: the
 * module's own page, packed weights cached between calls, blocks retained across calls
 * (workspaces), then the call arena. A kernel call resets the arena, allocates what it needs,
 * then takes a view: memory only grows (never shrinks), so a training loop reaches its high-water
 * mark in the first step and allocates nothing after it.
 */
export class WasmKernels {
  private top = ARENA_START;
  /** End of the packed-weight cache; retained blocks, then each call's arena, start here. */
  private cacheTop = ARENA_START;
  /** Retained blocks, in address order from cacheTop; released ones leave holes until the ones above go. */
  private blocks: WasmBlock[] = [];
  private packs = new WeakMap<Float32Array, Map<string, number>>();
  private view: Float32Array;
  private pool: ThreadPool | null = null;
  private poolStarting = false;
  /** Everything `shared` needs to start worker threads on this module and memory; absent = one thread only. */
  private readonly shared?: { module: object; memory: WasmMemory };

  constructor(
    readonly fn: KernelExports,
    shared?: { module: object; memory: WasmMemory },
  ) {
    this.shared = shared;
    this.view = new Float32Array(fn.memory.buffer);
  }

  /**
   * How many threads a call may use now, at most `wanted`. The first request for more than one
   * starts the workers in the background (cores − 1 of them); until they are up, the answer is 1.
   */
  threads(wanted: number): number {
    if (wanted <= 1 || !this.shared) return 1;
    if (!this.pool && !this.poolStarting) {
      this.poolStarting = true;
      void startPool(this.shared.module, this.shared.memory).then(
        (pool) => (this.pool = pool),
        () => {
          this.poolStarting = false;
        },
      );
    }
    // Every worker takes part in every call (idle ones just check in), so all must be up.
    const pool = this.pool;
    return pool && pool.ready === pool.size ? Math.min(wanted, 1 + pool.size) : 1;
  }

  /** Resolves once `wanted` threads (or as many as the machine has) are up. */
  async whenThreads(wanted: number): Promise<number> {
    this.threads(wanted);
    if (!this.shared || wanted <= 1) return 1;
    for (;;) {
      const pool = this.pool;
      if (pool && pool.ready === pool.size) return this.threads(wanted);
      if (!this.poolStarting && !pool) return 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Runs the calls at once, calls[0] on this thread and each other on a worker (see `threads`). */
  parallel(calls: KernelCall[]): void {
    const here = ([name, ...args]: KernelCall) =>
      (this.fn as unknown as Record<string, (...a: number[]) => void>)[name](...args);
    if (calls.length === 1) here(calls[0]);
    else if (this.pool && this.pool.ready === this.pool.size) this.pool.run(calls, here);
    else for (const call of calls) here(call);
  }

  /** Splits [0, n) into at most `threads` blocks of whole `align`-wide panels: [first, count]. */
  static blocks(n: number, threads: number, align = 4): [number, number][] {
    const per = Math.ceil(n / threads / align) * align;
    const out: [number, number][] = [];
    for (let r = 0; r < n; r += per) out.push([r, Math.min(per, n - r)]);
    return out;
  }

  /**
   * C[M×N] = or += A·B (B packed) with the rows of C split across `threads` threads; `scratch[t]`
   * is thread t's gemm scratch.
   */
  gemmRows(
    threads: number,
    scratch: number[],
    M: number,
    N: number,
    K: number,
    a: number,
    ars: number,
    acs: number,
    packed: number,
    c: number,
    ldc: number,
    accumulate: number,
  ): void {
    const blocks = WasmKernels.blocks(M, threads);
    this.parallel(
      blocks.map(([r0, rows], t) => [
        'gemm',
        rows,
        N,
        K,
        a + r0 * ars * 4,
        ars,
        acs,
        packed,
        c + r0 * ldc * 4,
        ldc,
        accumulate,
        scratch[t],
      ]),
    );
  }

  /** One gemm scratch area per thread. */
  scratch(threads: number): number[] {
    return Array.from({ length: threads }, () => this.alloc(this.fn.gemmScratchSize() / 4));
  }

  /**
   * Starts a kernel call: frees everything the last call allocated. Packed weights (`packedWeights`)
   * stay, below the call arena, until they pass PACK_CACHE_BYTES; then the next call starts over.
   */
  reset(): void {
    if (this.blocks.length === 0 && this.cacheTop - ARENA_START > PACK_CACHE_BYTES) {
      this.cacheTop = ARENA_START;
      this.packs = new WeakMap();
    }
    this.top = this.arenaStart();
  }

  private arenaStart(): number {
    const last = this.blocks[this.blocks.length - 1];
    return last ? last.at + Math.ceil((last.floats * 4) / 16) * 16 : this.cacheTop;
  }

  /**
   * Room for `floats` values that stays valid after this call, until `release()`. Call right
   * after `reset`, before anything else of the call allocates.
   */
  retain(floats: number): WasmBlock {
    if (this.top !== this.arenaStart()) throw new Error('backend-js: retain must come before the call allocates');
    const block = new WasmBlock(this, this.alloc(floats), floats);
    this.blocks.push(block);
    return block;
  }

  /** @internal WasmBlock.release: drops released blocks from the top down. */
  releaseBlock(_block: WasmBlock): void {
    while (this.blocks.length && this.blocks[this.blocks.length - 1].released) this.blocks.pop();
  }

  /** Retained blocks not yet released (tests check that workspaces are given back). */
  get retainedBlocks(): number {
    return this.blocks.filter((b) => !b.released).length;
  }

  /**
   * A weight matrix B (K×N read through element strides rs, cs) packed for gemm, cached per source
   * array: inference calls with the same weights (sampling one token at a time) pack them once.
   * Tensors are immutable, so the array identifies the values. Call right after `reset`, before
   * any `alloc` of the call (after `retain`).
   */
  packedWeights(source: Float32Array, K: number, N: number, rs: number, cs: number): number {
    return this.cachedPack(source, `${K},${N},${rs},${cs}`, this.fn.packedSize(K, N), (at) =>
      this.fn.packB(K, N, this.put(source), rs, cs, at),
    );
  }

  /**
   * One thread's share of a recurrent weight [G·H, K] (PyTorch layout, gates stacked) for a step
   * split by hidden units: rows g·H + u0 … g·H + u0 + Hu − 1 of every gate g, transposed and
   * packed as the B (K × G·Hu) of that thread's product. Cached like packedWeights.
   */
  packedUnits(source: Float32Array, G: number, H: number, K: number, u0: number, Hu: number): number {
    return this.cachedPack(source, `units ${G},${H},${K},${u0},${Hu}`, this.fn.packedSize(K, G * Hu), (at) => {
      const gathered = this.alloc(G * Hu * K);
      const f = this.f32();
      for (let g = 0; g < G; g++) {
        const from = (g * H + u0) * K;
        f.set(source.subarray(from, from + Hu * K), gathered / 4 + g * Hu * K);
      }
      this.fn.packB(K, G * Hu, gathered, 1, K, at);
    });
  }

  /** A copy of `source` (a bias) in kernel memory, cached like packedWeights. */
  cachedCopy(source: Float32Array): number {
    return this.cachedPack(source, 'copy', source.length * 4, (at) => this.f32().set(source, at / 4));
  }

  /**
   * The pack of `source` named `key` (`bytes` long), made by `fill(at)` on a miss. Cached below
   * the call arena while no block is retained; otherwise packed into this call's arena (only
   * while a gradient is being taken, when weights are new every step and a cache would miss).
   */
  private cachedPack(source: Float32Array, key: string, bytes: number, fill: (at: number) => void): number {
    let byKey = this.packs.get(source);
    const hit = byKey?.get(key);
    if (hit !== undefined) return hit;
    if (this.blocks.length > 0) {
      const at = this.alloc(bytes / 4);
      fill(at);
      return at;
    }
    if (this.top !== this.cacheTop) throw new Error('backend-js: packed weights must come before the call allocates');
    const at = this.alloc(bytes / 4);
    this.cacheTop = this.top;
    fill(at); // its scratch lies above the cache and is dropped below
    this.top = this.cacheTop;
    if (!byKey) this.packs.set(source, (byKey = new Map()));
    byKey.set(key, at);
    return at;
  }

  /** Room for `floats` float32 values, 16-byte aligned; returns the byte offset. */
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((floats * 4) / 16) * 16;
    const have = this.fn.memory.buffer.byteLength;
    if (this.top > have) {
      const want = Math.max(this.top, Math.min(2 * have, MAX_PAGES * PAGE));
      if (want > MAX_PAGES * PAGE) throw new Error(`backend-js: kernels need ${want} bytes, over the 2 GiB wasm limit`);
      this.fn.memory.grow(Math.ceil((want - have) / PAGE));
    }
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

/** Names of the exports a worker may be asked to run. */
const WORKER_CALLS = [
  'gemm',
  'xentRows',
  'lstmUnits',
  'gruUnits',
  'rnnUnits',
  'lstmRows',
  'gruRows',
  'rnnRows',
  'lstmBackRows',
  'gruBackRows',
  'rnnBackRows',
];

async function startPool(module: object, memory: WasmMemory): Promise<ThreadPool> {
  return ThreadPool.start(module, memory, WORKER_CALLS, (await availableCores()) - 1);
}

/** Cores this process may use: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
export async function availableCores(): Promise<number> {
  const g = globalThis as { process?: { versions?: { node?: string } }; navigator?: { hardwareConcurrency?: number } };
  if (typeof g.process?.versions?.node === 'string') {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as {
      availableParallelism?: () => number;
      cpus(): unknown[];
    };
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  return Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
}
