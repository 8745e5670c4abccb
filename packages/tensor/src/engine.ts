import type { Backend, BackendTensor } from '@recur/backend-api';
import { RecurError } from '@recur/backend-api';
import { JsBackend } from '@recur/backend-js';
import { Tensor } from './tensor';

/** One recorded kernel call, as autograd sees it. */
export interface RecordedOp {
  readonly kernel: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /**
   * Tensors a kernel made only for its own gradient rule (a fused kernel's workspace): the tape
   * holds them until the gradient is done; they never receive a gradient themselves.
   */
  readonly saved: readonly Tensor[];
  readonly attrs: Readonly<Record<string, unknown>>;
}

/**
 * Receives every kernel call while installed. @recur/autograd installs one while a gradient is
 * being taken; with none installed, ops record nothing and inference pays nothing.
 */
export interface OpRecorder {
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
  return instance;
}

export function getBackend(): Backend {
  return state.backend ?? setBackend('js');
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
  return t;
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

export function currentRecorder(): OpRecorder | null {
  return state.recorder;
}

function backendOf(kernel: string, inputs: readonly Tensor[]): Backend {
  let backend: Backend | undefined;
  for (const t of inputs) {
    t.assertAlive(kernel);
    if (!backend) backend = t.backend;
    else if (t.backend !== backend) {
      throw new RecurError(
        `${kernel}: inputs live on different backends ('${backend.name}' and '${t.backend.name}'); move them to one first`,
      );
    }
  }
  return backend ?? getBackend();
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
