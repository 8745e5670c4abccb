import type { Backend, BackendTensor } from '@recur/backend-api';
import { RecurError, ValueError } from '@recur/backend-api';
import { JsBackend } from '@recur/backend-js';
import { Tensor } from './tensor';

/** One recorded kernel call, as autograd sees it. */
export interface RecordedOp {
  /** The kernel's name ('matMul', 'recurrent', ...). */
  readonly kernel: string;
  /** The tensors it read. */
  readonly inputs: readonly Tensor[];
  /** The tensors it made. */
  readonly outputs: readonly Tensor[];
  /**
   * Tensors a kernel made only for its own gradient rule (a fused kernel's workspace): the tape
   * holds them until the gradient is done; they never receive a gradient themselves.
   */
  readonly saved: readonly Tensor[];
  /** Its non-tensor arguments (axes, activations, a fused op's slot names). */
  readonly attrs: Readonly<Record<string, unknown>>;
}

/**
 * Receives every kernel call while installed. @recur/autograd installs one while a gradient is
 * being taken; with none installed, ops record nothing and inference pays nothing.
 */
export interface OpRecorder {
  /** Called after each kernel call while the recorder is installed. */
  record(op: RecordedOp): void;
  /** True for tensors the recorder still needs: `tidy` hands them to the enclosing scope instead of disposing them. */
  holds(t: Tensor): boolean;
  /** A held tensor was disposed: the recorder frees it once it no longer needs it. */
  deferDispose?(t: Tensor): void;
}

interface Scope {
  tensors: Set<Tensor>;
}

const backends = new Map<string, () => Backend>([['js', () => new JsBackend()]]);
const instances = new Map<string, Backend>();
/** Each started backend's `init()`: pending, or settled (true once it resolved). */
const started = new WeakMap<Backend, Promise<void> | true>();

/** Starts a backend's init() once; a backend without one is ready at once. */
function start(backend: Backend): void {
  if (!backend.init || started.has(backend)) return;
  const p = backend.init().then(() => {
    started.set(backend, true);
  });
  // A failed start stays failed: ready() reports it, and a kernel call says to await ready().
  p.catch(() => {});
  started.set(backend, p);
}

/** Throws when `backend` has an init() that has not finished (TensorFlow.js' "not yet initialized"). */
function checkReady(backend: Backend, what: string): void {
  if (!backend.init || started.get(backend) === true) return;
  throw new RecurError(
    `${what}: backend '${backend.name}' is still starting; await ready() after setBackend('${backend.name}')`,
    'not-ready',
  );
}

/**
 * Resolves when the current backend (or `backend`) has started: its `init()` (a device, compiled
 * kernels, TensorFlow.js' own backend) has run. As `tf.ready()`; a backend without an init()
 * is ready at once.
 *
 * @example
 * ```ts
 * import { ready, setBackend, tensor } from '@recur/tensor';
 * setBackend('js');
 * await ready();
 * console.log(tensor([1, 2]).shape); // [2]
 * ```
 */
export async function ready(backend: Backend = getBackend(false)): Promise<Backend> {
  start(backend);
  const p = started.get(backend);
  if (p && p !== true) await p;
  return backend;
}

const state = {
  backend: null as Backend | null,
  liveTensors: 0,
  nextId: 0,
  scopes: [] as Scope[],
  recorder: null as OpRecorder | null,
};

/**
 * Makes a backend available under `name` to `setBackend`. Nothing registers itself on import:
 * a backend package exports a factory, and the user (or an app) registers it.
 */
export function registerBackend(name: string, factory: () => Backend): void {
  backends.set(name, factory);
  instances.delete(name);
}

/** The names `setBackend` accepts. */
export function listBackends(): string[] {
  return [...backends.keys()];
}

/**
 * Selects the backend new tensors are created on: a registered name, or a Backend instance.
 * backend-js ('js') is the default.
 *
 * @example
 * ```ts
 * import { getBackend, setBackend, tensor } from '@recur/tensor';
 * import { JsBackend } from '@recur/backend-js';
 * // A backend instance (here backend-js with two worker threads), or a name given to registerBackend.
 * const previous = setBackend(new JsBackend({ threads: 2 }));
 * console.log(getBackend().name, tensor([1, 2]).backend.name); // 'js' 'js'
 * setBackend(previous);
 * ```
 */
export function setBackend(backend: string | Backend): Backend {
  if (typeof backend !== 'string') {
    state.backend = backend;
    start(backend);
    return backend;
  }
  let instance = instances.get(backend);
  if (!instance) {
    const factory = backends.get(backend);
    if (!factory) {
      throw new RecurError(`setBackend: no backend named '${backend}'; registered: ${listBackends().join(', ')}`);
    }
    instance = factory();
    instances.set(backend, instance);
  }
  state.backend = instance;
  start(instance);
  return instance;
}

/** The backend new tensors are created on (checked ready unless `checked` is false). */
export function getBackend(checked = true): Backend {
  const b = state.backend ?? setBackend('js');
  if (checked) checkReady(b, 'getBackend');
  return b;
}

/** Number of tensors created and not yet disposed: a leak test compares it before and after. */
export function numTensors(): number {
  return state.liveTensors;
}

/** @internal called by Tensor's constructor and dispose. */
export function trackTensor(t: Tensor, created: boolean): number {
  if (created) {
    state.liveTensors++;
    const scope = state.scopes[state.scopes.length - 1];
    if (scope) scope.tensors.add(t);
    return state.nextId++;
  }
  state.liveTensors--;
  return -1;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in an array, a plain
 * object or a Map) and those passed to `keep`. Like tf.tidy. Returned tensors belong to the
 * enclosing scope, if any.
 *
 * @example
 * ```ts
 * import { add, mul, numTensors, tensor, tidy } from '@recur/tensor';
 * const x = tensor([1, 2, 3]);
 * const before = numTensors();
 * const y = tidy(() => add(mul(x, 2), 1)); // the intermediate x·2 is freed, y is kept
 * console.log(Array.from(y.dataSync()), numTensors() - before); // [3, 5, 7] 1
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: new Set() };
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    state.scopes.pop();
  }
  if (result instanceof Promise) {
    throw new RecurError('tidy: the function returned a Promise; tidy scopes must be synchronous');
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const parent = state.scopes[state.scopes.length - 1];
  for (const t of scope.tensors) {
    if (survivors.has(t) || state.recorder?.holds(t)) parent?.tensors.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts `t` from disposal by the enclosing `tidy` scopes. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of state.scopes) scope.tensors.delete(t);
  kept.add(t);
  return t;
}

/** Tensors passed to `keep`: a training loop leaves those in its batches alone. */
const kept = new WeakSet<Tensor>();

/** Whether `t` was passed to `keep` (its owner disposes it, not a scope or a loop). */
export function isKept(t: Tensor): boolean {
  return kept.has(t);
}

/** How many tensors have been created so far: a mark to tell the tensors made after it (their ids are ≥ it). */
export function tensorsCreated(): number {
  return state.nextId;
}

/** The tensors found in `value`: itself, or those in its arrays, plain objects and Maps (as tidy finds them). */
export function tensorsIn(value: unknown): Tensor[] {
  const found = new Set<Tensor>();
  collectTensors(value, found);
  return [...found];
}

/** Disposes every tensor found in `value` (a tensor, an array, a plain object or a Map). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collectTensors(value, found);
  for (const t of found) t.dispose();
}

/** Installs `recorder` for the duration of `fn` (null switches recording off). */
export function withRecorder<T>(recorder: OpRecorder | null, fn: () => T): T {
  const previous = state.recorder;
  state.recorder = recorder;
  try {
    return fn();
  } finally {
    state.recorder = previous;
  }
}

/** The recorder installed now (a gradient is being taken), or null. */
export function currentRecorder(): OpRecorder | null {
  return state.recorder;
}

/** What arrived where a tensor was expected, for an error message. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array (${v.length} items)`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Refuses, naming the op and the argument, a value that is not a tensor where one is expected. */
export function expectTensor(op: string, what: string, v: unknown): asserts v is Tensor {
  if (typeof (v as Partial<Tensor> | null)?.assertAlive !== 'function') {
    throw new ValueError(`${op}: ${what} should be a Tensor, got ${describeValue(v)}`);
  }
}

function backendOf(kernel: string, inputs: readonly Tensor[]): Backend {
  let backend: Backend | undefined;
  if (inputs.length === 0) return getBackend();
  for (const [i, t] of inputs.entries()) {
    expectTensor(kernel, `input ${i}`, t);
    t.assertAlive(kernel);
    if (!backend) backend = t.backend;
    else if (t.backend !== backend) {
      throw new RecurError(
        `${kernel}: inputs live on different backends ('${backend.name}' and '${t.backend.name}'); move them to one first`,
      );
    }
  }
  checkReady(backend as Backend, kernel);
  return backend as Backend;
}

/**
 * Runs one kernel on the inputs' backend, wraps the result and reports the call to the recorder.
 * Every differentiable op goes through here; ops composed of others get their gradients for free.
 */
export function runKernel(
  kernel: string,
  inputs: readonly Tensor[],
  attrs: Record<string, unknown>,
  compute: (backend: Backend, ...storage: BackendTensor[]) => BackendTensor,
): Tensor {
  return runKernelMulti(kernel, inputs, attrs, (b, ...s) => [compute(b, ...s)])[0];
}

/**
 * Like runKernel for a kernel with several results. The last `saved` results are what the kernel
 * keeps for its gradient rule (see RecordedOp.saved); they are returned after the outputs, and
 * the caller disposes them when no gradient is being taken (`currentRecorder()?.holds(t)`).
 */
export function runKernelMulti(
  kernel: string,
  inputs: readonly Tensor[],
  attrs: Record<string, unknown>,
  compute: (backend: Backend, ...storage: BackendTensor[]) => BackendTensor[],
  saved = 0,
): Tensor[] {
  const backend = backendOf(kernel, inputs);
  const results = compute(backend, ...inputs.map((t) => t.storage));
  const tensors = results.map((r) => new Tensor(r, backend));
  state.recorder?.record({
    kernel,
    inputs,
    outputs: saved ? tensors.slice(0, -saved) : tensors,
    saved: saved ? tensors.slice(-saved) : [],
    attrs,
  });
  return tensors;
}
