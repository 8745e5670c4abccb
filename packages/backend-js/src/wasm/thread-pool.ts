/**
 * Worker threads that run kernel calls on the same WebAssembly module and shared memory as the
 * main thread. A call hands each worker one export name and up to 18 i32 arguments through a small
 * shared control block, wakes them with Atomics.notify and waits for all of them: one barrier per
 * parallel call, no messages and no copies (Node worker_threads; in browsers Web Workers, only
 * where SharedArrayBuffer exists, i.e. cross-origin isolated pages).
 */
const SLOT = 20; // words per worker: export index, argument count, up to 18 arguments
const GENERATION = 0;
const PENDING = 1;
const READY = 2;
/** Workers asleep in Atomics.wait, and whether the caller is: a notify (a system call) only when someone sleeps. */
const WORKERS_ASLEEP = 3;
const CALLER_ASLEEP = 4;
const HEADER = 8;
/** Polls before sleeping, on both sides of the barrier (tens of microseconds). */
const SPIN = 20_000;
/** A worker that does not finish within this long has died (a trap): fail instead of hanging. */
const STALL_MS = 30_000;

// The worker's own code, as source: the same text runs under Node's worker_threads and in a Web Worker.
const WORKER_MAIN = `(d) => {
  const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const c = new Int32Array(d.control);
  const fns = d.names.map((n) => instance.exports[n]);
  const base = ${HEADER} + d.index * ${SLOT};
  let gen = Atomics.load(c, ${GENERATION});
  Atomics.add(c, ${READY}, 1);
  for (;;) {
    // Spin a little first: steps come back to back, and waking a sleeping thread costs more than a step.
    for (let i = 0; i < ${SPIN} && Atomics.load(c, ${GENERATION}) === gen; i++);
    if (Atomics.load(c, ${GENERATION}) === gen) {
      // Counted before waiting: a caller that bumps the generation after this sees a sleeper and
      // notifies; one that bumped it before makes the wait return at once (the value differs).
      Atomics.add(c, ${WORKERS_ASLEEP}, 1);
      Atomics.wait(c, ${GENERATION}, gen);
      Atomics.sub(c, ${WORKERS_ASLEEP}, 1);
    }
    const now = Atomics.load(c, ${GENERATION});
    if (now === gen) continue;
    gen = now;
    const n = c[base + 1];
    if (n >= 0) {
      const args = [];
      for (let i = 0; i < n; i++) args.push(c[base + 2 + i]);
      fns[c[base]](...args);
    }
    if (Atomics.sub(c, ${PENDING}, 1) === 1 && Atomics.load(c, ${CALLER_ASLEEP}) > 0) Atomics.notify(c, ${PENDING});
  }
}`;

/** One kernel call: an export of the module and its (i32) arguments. */
export type KernelCall = [name: string, ...args: number[]];

interface WorkerLike {
  unref?(): void;
  postMessage?(data: unknown): void;
}

export class ThreadPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * 64)));
  private readonly index: Map<string, number>;
  private readonly workers: WorkerLike[] = [];

  private constructor(names: string[]) {
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /** Starts `count` workers; they are usable once `ready` (start-up is asynchronous). */
  static async start(module: object, memory: object, names: string[], count: number): Promise<ThreadPool> {
    const pool = new ThreadPool(names);
    const data = (index: number) => ({ module, memory, control: pool.control.buffer, names, index });
    const WebWorker = (globalThis as { Worker?: new (url: string) => WorkerLike }).Worker;
    const isNode =
      typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    if (isNode) {
      // A computed specifier keeps browser bundlers from resolving a Node built-in.
      const specifier = 'node:worker_threads';
      const { Worker } = (await import(/* @vite-ignore */ specifier)) as {
        Worker: new (code: string, options: object) => WorkerLike;
      };
      for (let i = 0; i < count; i++) {
        const source = `(${WORKER_MAIN})(require('node:worker_threads').workerData)`;
        const worker = new Worker(source, { eval: true, workerData: data(i) });
        worker.unref?.(); // idle workers must not keep the process alive
        pool.workers.push(worker);
      }
    } else if (WebWorker) {
      const url = URL.createObjectURL(new Blob([`onmessage = (e) => (${WORKER_MAIN})(e.data);`]));
      for (let i = 0; i < count; i++) {
        const worker = new WebWorker(url);
        worker.postMessage?.(data(i));
        pool.workers.push(worker);
      }
    }
    return pool;
  }

  /** Workers this pool has. */
  get size(): number {
    return this.workers.length;
  }

  /** Workers started and waiting for work. */
  get ready(): number {
    return Atomics.load(this.control, READY);
  }

  /** Runs calls[0] on this thread and calls[i] on worker i − 1, and returns when all are done. */
  run(calls: KernelCall[], here: (call: KernelCall) => void): void {
    const c = this.control;
    const n = this.workers.length;
    if (calls.length - 1 > n) throw new Error(`thread pool: ${calls.length} calls for ${n + 1} threads`);
    for (let w = 0; w < n; w++) {
      const base = HEADER + w * SLOT;
      const call = calls[w + 1];
      if (!call) {
        c[base + 1] = -1;
        continue;
      }
      const [name, ...args] = call;
      const fn = this.index.get(name);
      if (fn === undefined || args.length > SLOT - 2) throw new Error(`thread pool: cannot pass call '${name}'`);
      c[base] = fn;
      c[base + 1] = args.length;
      for (let i = 0; i < args.length; i++) c[base + 2 + i] = args[i];
    }
    Atomics.store(c, PENDING, n);
    Atomics.add(c, GENERATION, 1);
    if (Atomics.load(c, WORKERS_ASLEEP) > 0) Atomics.notify(c, GENERATION);
    here(calls[0]);
    waitForZero(c, PENDING);
  }
}

/** Blocks until c[at] is 0: Atomics.wait where the thread may block (Node), else a spin (a browser's main thread). */
function waitForZero(c: Int32Array, at: number): void {
  for (let i = 0; i < SPIN; i++) if (Atomics.load(c, at) === 0) return;
  const start = Date.now();
  for (;;) {
    const value = Atomics.load(c, at);
    if (value === 0) return;
    // Counted before waiting, as the workers do: the last worker notifies only a sleeping caller.
    Atomics.add(c, CALLER_ASLEEP, 1);
    try {
      Atomics.wait(c, at, value, 100);
    } catch {
      // Atomics.wait is not allowed on this thread: spin.
    } finally {
      Atomics.sub(c, CALLER_ASLEEP, 1);
    }
    if (Date.now() - start > STALL_MS) throw new Error('backend-js: a kernel worker thread stopped responding');
  }
}
