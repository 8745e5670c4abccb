import { ACTIVATION_NAMES, type ActivationName } from '@recur/backend-api';
import {
  type ActivationSpec,
  activation,
  type CellSpec,
  type CellWeights,
  canonicalActivation,
  checkOptions,
  dropout,
  GRU_CELL,
  type InitializerSpec,
  initializer,
  kerasToTorch,
  LSTM_CELL,
  SIMPLE_RNN,
  uniqueName,
} from '@recur/layers';
import {
  add,
  ConfigError,
  concat,
  currentRecorder,
  type DType,
  DTypeError,
  dispose,
  formatShape,
  keep,
  matMul,
  mul,
  ones,
  type Rng,
  ShapeError,
  split,
  type Tensor,
  tidy,
  withRecorder,
} from '@recur/tensor';
import type { ConfigContext } from '../engine/config';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { Cell, type FusedForm } from './cell';

/** A recurrent cell's options (Keras' SimpleRNNCell / LSTMCell / GRUCell arguments, camelCased). */
export interface CellOptions {
  /** The output size (number of units). */
  units: number;
  /** Output / candidate activation (default tanh). A function works too, on the composed path. */
  activation?: ActivationSpec;
  /** LSTM and GRU gates (default sigmoid, as Keras 3). */
  recurrentActivation?: ActivationSpec;
  /** Whether the layer has a bias (default true). */
  useBias?: boolean;
  /** How the kernel starts (default glorotUniform). */
  kernelInitializer?: InitializerSpec;
  /** How the recurrent kernel starts (default orthogonal). */
  recurrentInitializer?: InitializerSpec;
  /** How the bias starts (default zeros). */
  biasInitializer?: InitializerSpec;
  /** LSTM: forget-gate bias starts at 1 (default true, as Keras). */
  unitForgetBias?: boolean;
  /** GRU: reset gate after the recurrent product (default true, as Keras 2.3+ and PyTorch). */
  resetAfter?: boolean;
  /** Fraction of the inputs dropped (one mask per sequence), training only. */
  dropout?: number;
  /** Fraction of the recurrent state dropped (one mask per sequence), training only. */
  recurrentDropout?: number;
  /** The weights' dtype (default float32). */
  dtype?: DType;
  /** The generator initializers (and dropout) draw from (default: the global one). */
  rng?: Rng;
  /** The cell's name (default generated). */
  name?: string;
  /** Whether its weights train (default true). */
  trainable?: boolean;
}

/** The option names a recurrent cell takes. */
export const CELL_OPTION_KEYS = [
  'units',
  'activation',
  'recurrentActivation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'unitForgetBias',
  'resetAfter',
  'dropout',
  'recurrentDropout',
  'dtype',
  'rng',
  'name',
  'trainable',
] as const;

function checkRate(owner: string, what: string, rate: number | undefined): void {
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new ConfigError(`${owner}: ${what} must be a number in [0, 1), got ${JSON.stringify(rate)}`);
  }
}

/**
 * Keras' role of each of a cell kind's activations: a position whose default is sigmoid is a gate
 * (Keras' `recurrentActivation`), any other takes `activation`.
 */
function isGate(spec: CellSpec, i: number): boolean {
  return spec.activations[i] === 'sigmoid';
}

/**
 * A Keras cell of any recurrent kind (a `CellSpec`): Keras' weights (`kernel [I, G·u]`,
 * `recurrent_kernel [u, G·u]`, `bias`) in Keras' gate order, Keras' options (activations,
 * initializers, `unitForgetBias`, `resetAfter`, dropout), and one step of the kind's equations.
 * `SimpleRNNCell`, `LSTMCell` and `GRUCell` are it for recur's kinds; `recurrentClasses(spec)`
 * makes the classes of a new kind.
 */
export class RecurrentCell extends Cell {
  /** The output size (number of units). */
  readonly units: number;
  /** The size of each step's output (units). */
  readonly outputSize: number;
  /** The activations in the kind's order (ONNX's f, g, h). */
  private readonly acts: ((x: Tensor) => Tensor)[];
  private inputMask: Tensor | null = null;
  private stateMask: Tensor | null = null;
  /** The weights in PyTorch's layout for the steps of one sequence (converted once per sequence). */
  private sequenceWeights: CellWeights | null = null;
  /** The PyTorch-layout weights last converted outside a gradient, and the weight tensors they came from. */
  private converted: { from: (Tensor | null)[]; weights: CellWeights } | null = null;

  constructor(
    /** The cell kind. */
    readonly spec: CellSpec,
    /** The options it was made with. */
    readonly options: CellOptions,
  ) {
    checkOptions(options?.name ?? spec.names.kerasCell, options, CELL_OPTION_KEYS);
    // Named here, not through defaultName(): the spec is not set yet while Module's constructor runs.
    super({
      name: options.name ?? uniqueName(`${spec.names.base}_cell`),
      dtype: options.dtype,
      trainable: options.trainable,
    });
    if (!Number.isInteger(options.units) || options.units <= 0) {
      throw new ConfigError(`${this.name}: units must be a positive integer, got ${JSON.stringify(options.units)}`);
    }
    checkRate(this.name, 'dropout', options.dropout);
    checkRate(this.name, 'recurrentDropout', options.recurrentDropout);
    this.units = options.units;
    this.outputSize = options.units;
    this.acts = spec.activations.map((_, i) =>
      activation(isGate(spec, i) ? (options.recurrentActivation ?? 'sigmoid') : (options.activation ?? 'tanh')),
    );
  }

  override get layerType(): string {
    return this.spec?.names.kerasCell ?? 'RecurrentCell';
  }

  /** The cell kind's name ('lstm'). */
  get kind(): string {
    return this.spec.kind;
  }

  /** Keras' bias shape: a kind that keeps an input and a recurrent bias with resetAfter (GRU) has [2, G·u]. */
  protected biasShape(): number[] {
    const n = this.spec.gates.keras.length * this.units;
    return this.spec.resetAfter && this.resetAfter ? [2, n] : [n];
  }

  /** GRU: whether the reset gate comes after the recurrent product. */
  get resetAfter(): boolean {
    return this.options.resetAfter ?? true;
  }

  override build(inputShape: ShapeArg): void {
    if (this.built) return;
    const shape = inputShape as SymbolicShape;
    const inputDim = shape[shape.length - 1];
    if (!inputDim) {
      throw new ShapeError(`${this.name}: the feature axis of the input must be known, got [${shape.join(', ')}]`);
    }
    const n = this.spec.gates.keras.length * this.units;
    const o = { dtype: this.dtype, rng: this.options.rng };
    this.addWeight('kernel', [inputDim, n], this.options.kernelInitializer ?? 'glorotUniform', o);
    this.addWeight('recurrent_kernel', [this.units, n], this.options.recurrentInitializer ?? 'orthogonal', o);
    if (this.options.useBias ?? true) {
      const init = initializer(this.options.biasInitializer ?? 'zeros');
      const u = this.units;
      const forget = this.spec.forgetGate ? this.spec.gates.keras.indexOf(this.spec.forgetGate) : -1;
      // Keras: with unitForgetBias the forget gate's slice starts at 1 whatever the bias initializer says.
      const bias =
        forget >= 0 && (this.options.unitForgetBias ?? true)
          ? (shape: readonly number[], io: { dtype?: DType; rng?: Rng }) => {
              const initial = init(shape, io);
              const out = tidy(() => {
                const parts = split(initial, this.spec.gates.keras.length, 0);
                parts[forget] = ones([u], initial.dtype);
                return concat(parts, 0);
              });
              initial.dispose();
              return out;
            }
          : init;
      this.addWeight('bias', this.biasShape(), bias, o);
    }
    super.build(inputShape);
    withRecorder(null, () => this.torchWeights());
  }

  get stateSize(): number[] {
    return this.spec.states.map(() => this.units);
  }

  override startSequence(batchSize: number, training: boolean): void {
    const rate = this.options.dropout ?? 0;
    const recRate = this.options.recurrentDropout ?? 0;
    const input = this.parameter('kernel').shape[0];
    const dtype = this.parameter('kernel').dtype;
    this.inputMask =
      training && rate > 0 ? dropout(ones([batchSize, input], dtype), rate, { rng: this.options.rng }) : null;
    this.stateMask =
      training && recRate > 0
        ? dropout(ones([batchSize, this.units], dtype), recRate, { rng: this.options.rng })
        : null;
  }

  override endSequence(): void {
    this.inputMask = null;
    this.stateMask = null;
    this.sequenceWeights = null;
  }

  /** Input dropout for the whole-sequence path: the same per-sequence mask, broadcast over time. */
  inputDropoutMask(): Tensor | null {
    return this.inputMask;
  }

  /** The bias, or null without one. */
  protected bias(): Tensor | null {
    return this.hasParameter('bias') ? this.weight('bias') : null;
  }

  /** Refuses a step input that is not [batch, inputDim]. */
  protected checkInput(x: Tensor): void {
    const inputDim = this.parameter('kernel').shape[0];
    if (x.rank !== 2 || x.shape[1] !== inputDim) {
      throw new ShapeError(`${this.name}: step input should be [batch, ${inputDim}], got ${formatShape(x.shape)}`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') {
      throw new DTypeError(`${this.name}: expected a float input, got ${x.dtype} ${formatShape(x.shape)}`);
    }
  }

  /**
   * The weights in PyTorch's layout. While a gradient is being taken the conversion is recorded (so
   * gradients reach the Keras-layout weights) and runs each call; otherwise it is made once per
   * weight version and kept: tensors are immutable, so the same weight tensors mean the same
   * values, and a predict at batch 1 costs what the PyTorch door's does (and the backend's packed
   * weights stay cached).
   */
  private torchWeights(): CellWeights {
    const from = [this.weight('kernel'), this.weight('recurrent_kernel'), this.bias()];
    const convert = () =>
      kerasToTorch(this.spec, {
        kernel: from[0] as Tensor,
        recurrentKernel: from[1] as Tensor,
        bias: from[2] ?? undefined,
      });
    if (currentRecorder()) return convert();
    if (this.converted?.from.every((t, i) => t === from[i])) return this.converted.weights;
    // Replaced, not added to: the layer holds one converted set from build on, so a call leaves the
    // live-tensor count where it found it.
    this.dropConverted();
    const weights = tidy(convert);
    for (const t of Object.values(weights)) if (t) keep(t);
    this.converted = { from, weights };
    return weights;
  }

  private dropConverted(): void {
    if (this.converted) dispose(Object.values(this.converted.weights).filter((t): t is Tensor => !!t));
    this.converted = null;
  }

  override dispose(): void {
    this.dropConverted();
    super.dispose();
  }

  /** One step of the kind's equations, with Keras' dropout masks: the output and the new states. */
  call(x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    this.checkInput(x);
    this.sequenceWeights ??= this.torchWeights();
    const w = this.sequenceWeights;
    const xd = this.inputMask ? mul(x, this.inputMask) : x;
    let xw = matMul(xd, w.wIh, { transposeB: true });
    if (w.bIh) xw = add(xw, w.bIh);
    const next = this.spec.step(xw, states, w, {
      activations: this.acts,
      linearBeforeReset: this.linearBeforeReset,
      recurrentInput: this.stateMask ? mul(states[0], this.stateMask) : undefined,
    });
    return [next[0], next];
  }

  /** Each of the kind's activations (its order) by canonical name, or the function given. */
  activationSpecs(): ReturnType<typeof canonicalActivation>[] {
    return this.spec.activations.map((_, i) =>
      canonicalActivation(
        isGate(this.spec, i) ? (this.options.recurrentActivation ?? 'sigmoid') : (this.options.activation ?? 'tanh'),
      ),
    );
  }

  /** Whether the reset gate multiplies the recurrent product (PyTorch's GRU; Keras' resetAfter). */
  get linearBeforeReset(): boolean {
    return !this.spec.resetAfter || this.resetAfter;
  }

  /** The activations by canonical name, for the whole-sequence op (null when one is a function or not fusable). */
  private namedActivations(): ActivationName[] | null {
    const names = this.activationSpecs();
    const ok = (a: unknown): a is ActivationName => (ACTIVATION_NAMES as readonly unknown[]).includes(a);
    return names.every(ok) ? names : null;
  }

  override fusedForm(training: boolean): FusedForm | null {
    const activations = this.namedActivations();
    if (!activations) return null;
    if (training && (this.options.recurrentDropout ?? 0) > 0) return null;
    return {
      kind: this.spec,
      weights: this.torchWeights(),
      activations,
      linearBeforeReset: this.linearBeforeReset,
    };
  }

  protected override buildFromWeights(values: unknown[]): void {
    const kernel = values[0] as { shape?: readonly number[] } | number[][] | undefined;
    const rows =
      kernel && 'shape' in kernel && kernel.shape ? kernel.shape[0] : Array.isArray(kernel) ? kernel.length : 0;
    if (!rows) super.buildFromWeights(values as never[]);
    this.build([null, rows]);
  }

  /** Keras' get_config: the cell's options (an activation given as a function cannot be saved). */
  override getConfig(): Record<string, unknown> {
    const o = this.options;
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      units: this.units,
      activation: canonicalActivation(o.activation ?? 'tanh'),
      useBias: o.useBias ?? true,
      kernelInitializer: o.kernelInitializer ?? 'glorotUniform',
      recurrentInitializer: o.recurrentInitializer ?? 'orthogonal',
      biasInitializer: o.biasInitializer ?? 'zeros',
      dropout: o.dropout ?? 0,
      recurrentDropout: o.recurrentDropout ?? 0,
    };
    if (this.spec.activations.some((_, i) => isGate(this.spec, i)))
      config.recurrentActivation = canonicalActivation(o.recurrentActivation ?? 'sigmoid');
    if (this.spec.forgetGate) config.unitForgetBias = o.unitForgetBias ?? true;
    if (this.spec.resetAfter) config.resetAfter = this.resetAfter;
    return config;
  }

  /** Keras' get_weights(): [kernel, recurrent_kernel, bias] in Keras layout. */
  override getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value);
  }
}

/** Keras SimpleRNNCell: h = act(x·K + h·R + b). */
export class SimpleRNNCell extends RecurrentCell {
  /** The class name configs and files use for it. */
  static readonly className = 'SimpleRNNCell';

  constructor(options: CellOptions) {
    super(SIMPLE_RNN, options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): SimpleRNNCell {
    return new SimpleRNNCell(config as unknown as CellOptions);
  }
}

/** Keras LSTMCell, gates i, f, c, o: c' = f⊙c + i⊙act(z_c), h' = o⊙act(c'). */
export class LSTMCell extends RecurrentCell {
  /** The class name configs and files use for it. */
  static readonly className = 'LSTMCell';

  constructor(options: CellOptions) {
    super(LSTM_CELL, options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): LSTMCell {
    return new LSTMCell(config as unknown as CellOptions);
  }
}

/**
 * Keras GRUCell, gates z, r, h: h' = z⊙h + (1 − z)⊙ĥ. With resetAfter (default) ĥ = act(x·K_h +
 * b_h + r⊙(h·R_h + b'_h)), as PyTorch; without, ĥ = act(x·K_h + (r⊙h)·R_h + b_h), classic Keras.
 */
export class GRUCell extends RecurrentCell {
  /** The class name configs and files use for it. */
  static readonly className = 'GRUCell';

  constructor(options: CellOptions) {
    super(GRU_CELL, options);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): GRUCell {
    return new GRUCell(config as unknown as CellOptions);
  }
}
