import {
  type Backend,
  cast,
  type DType,
  formatShape,
  getBackend,
  keep,
  RecurError,
  ShapeError,
  setBackend,
  type Tensor,
  toBackend,
} from '@recur/tensor';

/** The instance registered under `name`, without changing the current backend. */
function backendByName(name: string): Backend {
  const previous = getBackend();
  const b = setBackend(name);
  setBackend(previous);
  return b;
}

/**
 * A trainable (or frozen) tensor owned by a module. Tensors are immutable, so training replaces
 * the value: `assign` swaps in the new tensor and disposes the old one.
 */
export class Parameter {
  private current: Tensor;
  /** Whether optimizers update it (false: frozen, as requires_grad=False). */
  trainable: boolean;

  constructor(value: Tensor, trainable = true) {
    this.current = keep(value);
    this.trainable = trainable;
  }

  /** The current tensor. */
  get value(): Tensor {
    return this.current;
  }

  /** The tensor's shape. */
  get shape(): readonly number[] {
    return this.current.shape;
  }

  /** The tensor's dtype. */
  get dtype(): DType {
    return this.current.dtype;
  }

  /** Replaces the value (same shape); the previous tensor is disposed. */
  assign(value: Tensor): void {
    if (value.shape.length !== this.current.shape.length || value.shape.some((d, i) => d !== this.current.shape[i])) {
      throw new ShapeError(
        `Parameter.assign: expected shape ${formatShape(this.current.shape)}, got ${formatShape(value.shape)}`,
      );
    }
    if (value === this.current) return;
    const next = keep(value.dtype === this.current.dtype ? value : cast(value, this.current.dtype));
    this.current.dispose();
    this.current = next;
  }

  /** Frees the tensor. */
  dispose(): void {
    this.current.dispose();
  }
}

const nameCounts = new Map<string, number>();

/** Keras-style unique names: lstm, lstm_1, lstm_2, ... */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** How `loadStateDict` matches names. */
export interface StateDictOptions {
  /** Refuse missing and unexpected entries (default true, as PyTorch). */
  strict?: boolean;
}

/**
 * The base of every layer and model: named parameters and sub-modules, train/eval mode,
 * parameter counts, and PyTorch-style state dicts (`weight_ih_l0`, `layers.0.weight`, ...).
 */
export abstract class Module {
  /** True while training (dropout active); `eval()` clears it. */
  training = true;
  /** The module's name: given, or generated Keras style (lstm, lstm_1, ...). */
  readonly name: string;
  private readonly ownParameters = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();

  constructor(name?: string) {
    this.name = name ?? uniqueName(this.defaultName());
  }

  /**
   * The layer's type as summary() shows it ('LSTM', 'SimpleRNN'). Layers override it because
   * bundlers may rename classes (two classes called LSTM become LSTM and LSTM2).
   */
  get layerType(): string {
    return this.constructor.name.replace(/^_+|\d+$/g, '');
  }

  /** The base of generated names, Keras style: 'simple_rnn' for SimpleRNN, 'lstm' for LSTM. */
  protected defaultName(): string {
    return this.layerType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  }

  /** Adds (or replaces) a parameter of this module under `name`. */
  protected registerParameter(name: string, value: Tensor, trainable = true): Parameter {
    const existing = this.ownParameters.get(name);
    if (existing) existing.dispose();
    const p = new Parameter(value, trainable);
    this.ownParameters.set(name, p);
    return p;
  }

  /** Adds a sub-module under `name`: its parameters join this module's, with `name.` in front. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }

  /** Forgets every sub-module (a graph model adopting a new set of layers). */
  protected resetModules(): void {
    this.children.clear();
  }

  /** The parameter registered under `name` on this module (not its children). */
  protected parameter(name: string): Parameter {
    const p = this.ownParameters.get(name);
    if (!p) throw new RecurError(`${this.name}: no parameter '${name}'`);
    return p;
  }

  /** Whether this module (not its children) has a parameter `name`. */
  protected hasParameter(name: string): boolean {
    return this.ownParameters.has(name);
  }

  /** Every parameter with its dotted path, own first, then each child's in registration order. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [n, p] of this.ownParameters) out.push([prefix + n, p]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every parameter, own first, then each child's (what an optimizer takes). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The parameters with `trainable` set. */
  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.trainable);
  }

  /** Every sub-module, depth first, with its dotted path. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [n, m] of this.children) {
      out.push([prefix + n, m]);
      out.push(...m.namedModules(`${prefix}${n}.`));
    }
    return out;
  }

  /** Switches training mode on (default) or off, recursively. */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  /** Switches to evaluation mode (dropout off), as `model.eval()` in PyTorch. */
  eval(): this {
    return this.train(false);
  }

  /** Number of scalar parameters (trainable and frozen), as Keras' summary counts them. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.value.size, 0);
  }

  /** The parameters by their PyTorch-style names. The tensors are the live values: do not dispose them. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters().map(([n, p]) => [n, p.value]));
  }

  /**
   * Copies tensors into the parameters of the same names. Strict by default: a missing,
   * unexpected or mis-shaped entry is an error naming the module, the entry and both shapes,
   * and nothing is changed.
   */
  loadStateDict(dict: Record<string, Tensor>, options: StateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = new Map(this.namedParameters());
    const problems: string[] = [];
    for (const [n, p] of own) {
      const t = dict[n];
      if (!t) {
        if (strict) problems.push(`missing '${n}' (expected ${formatShape(p.shape)})`);
      } else if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
        problems.push(`'${n}' has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)}`);
      }
    }
    if (strict)
      for (const n of Object.keys(dict))
        if (!own.has(n)) problems.push(`unexpected '${n}' ${formatShape(dict[n].shape)}`);
    if (problems.length) throw new RecurError(`${this.name}.loadStateDict: ${problems.join('; ')}`);
    for (const [n, p] of own) {
      const t = dict[n];
      if (t) p.assign(cast(t, p.dtype));
    }
  }

  /**
   * Moves every parameter to another backend (a registered name or a Backend instance); the
   * model then runs there. Like PyTorch's `model.to(device)`.
   */
  to(backend: string | Backend): this {
    const target = typeof backend === 'string' ? backendByName(backend) : backend;
    for (const p of this.parameters()) p.assign(toBackend(p.value, target));
    return this;
  }

  /** Frees every parameter, through each child's own `dispose` (a module may hold more than parameters). */
  dispose(): void {
    for (const p of this.ownParameters.values()) p.dispose();
    for (const m of this.children.values()) m.dispose();
  }
}
