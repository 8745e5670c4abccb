import { ACTIVATION_NAMES, type ActivationName, type RecurrentKind as Kind } from '@recur/backend-api';
import {
  type ActivationSpec,
  activation,
  canonicalActivation,
  checkOptions,
  dropout,
  type InitializerSpec,
  initializer,
  kerasToTorch,
  uniqueName,
} from '@recur/layers';
import {
  add,
  ConfigError,
  concat,
  type DType,
  DTypeError,
  formatShape,
  matMul,
  mul,
  ones,
  type Rng,
  reshape,
  ShapeError,
  split,
  sub,
  type Tensor,
  tidy,
  zeros,
} from '@recur/tensor';
import type { ConfigContext } from '../engine/config';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { Cell, type FusedForm } from './cell';

export interface CellOptions {
  units: number;
  /** Output / candidate activation (default tanh). A function works too, on the composed path. */
  activation?: ActivationSpec;
  /** LSTM and GRU gates (default sigmoid, as Keras 3). */
  recurrentActivation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** LSTM: forget-gate bias starts at 1 (default true, as Keras). */
  unitForgetBias?: boolean;
  /** GRU: reset gate after the recurrent product (default true, as Keras 2.3+ and PyTorch). */
  resetAfter?: boolean;
  /** Fraction of the inputs dropped (one mask per sequence), training only. */
  dropout?: number;
  /** Fraction of the recurrent state dropped (one mask per sequence), training only. */
  recurrentDropout?: number;
  dtype?: DType;
  rng?: Rng;
  name?: string;
  trainable?: boolean;
}

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

const GATES: Record<Kind, number> = { rnn: 1, lstm: 4, gru: 3 };
const CLASS: Record<Kind, string> = { rnn: 'SimpleRNNCell', lstm: 'LSTMCell', gru: 'GRUCell' };

function checkRate(owner: string, what: string, rate: number | undefined): void {
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new ConfigError(`${owner}: ${what} must be a number in [0, 1), got ${JSON.stringify(rate)}`);
  }
}

/** SimpleRNNCell, LSTMCell and GRUCell share their weights' shapes, masks and fused form. */
export abstract class BuiltinCell extends Cell {
  readonly units: number;
  readonly outputSize: number;
  protected readonly act: (x: Tensor) => Tensor;
  protected readonly recAct: (x: Tensor) => Tensor;
  private inputMask: Tensor | null = null;
  private stateMask: Tensor | null = null;

  constructor(
    readonly kind: Kind,
    readonly options: CellOptions,
  ) {
    checkOptions(options?.name ?? CLASS[kind], options, CELL_OPTION_KEYS);
    // Named here, not through defaultName(): the kind is not set yet while Module's constructor runs.
    super({
      name: options.name ?? uniqueName(kind === 'rnn' ? 'simple_rnn_cell' : `${kind}_cell`),
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
    this.act = activation(options.activation ?? 'tanh');
    this.recAct = activation(options.recurrentActivation ?? 'sigmoid');
  }

  /** Keras' bias shape: GRU with resetAfter keeps an input and a recurrent bias, [2, 3u]. */
  protected biasShape(): number[] {
    const n = GATES[this.kind] * this.units;
    return this.kind === 'gru' && this.resetAfter ? [2, n] : [n];
  }

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
    const n = GATES[this.kind] * this.units;
    const o = { dtype: this.dtype, rng: this.options.rng };
    this.addWeight('kernel', [inputDim, n], this.options.kernelInitializer ?? 'glorotUniform', o);
    this.addWeight('recurrent_kernel', [this.units, n], this.options.recurrentInitializer ?? 'orthogonal', o);
    if (this.options.useBias ?? true) {
      const init = initializer(this.options.biasInitializer ?? 'zeros');
      const u = this.units;
      // Keras: with unitForgetBias the forget gate's slice starts at 1 whatever the bias initializer says.
      const forgetBias =
        this.kind === 'lstm' && (this.options.unitForgetBias ?? true)
          ? (shape: readonly number[], io: { dtype?: DType; rng?: Rng }) => {
              const initial = init(shape, io);
              const out = tidy(() => {
                const [input, , rest] = split(initial, [u, u, 2 * u], 0);
                return concat([input, ones([u], initial.dtype), rest], 0);
              });
              initial.dispose();
              return out;
            }
          : init;
      this.addWeight('bias', this.biasShape(), forgetBias, o);
    }
    super.build(inputShape);
  }

  get stateSize(): number[] {
    return this.kind === 'lstm' ? [this.units, this.units] : [this.units];
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
  }

  /** Input dropout for the fused path: the same per-sequence mask, broadcast over time. */
  inputDropoutMask(): Tensor | null {
    return this.inputMask;
  }

  protected dropInput(x: Tensor): Tensor {
    return this.inputMask ? mul(x, this.inputMask) : x;
  }

  protected dropState(h: Tensor): Tensor {
    return this.stateMask ? mul(h, this.stateMask) : h;
  }

  /** x·K + h·R + b, with the dropout masks applied (SimpleRNN and LSTM; GRU splits its product). */
  protected preActivation(x: Tensor, h: Tensor): Tensor {
    this.checkInput(x);
    const z = add(
      matMul(this.dropInput(x), this.weight('kernel')),
      matMul(this.dropState(h), this.weight('recurrent_kernel')),
    );
    const b = this.bias();
    return b ? add(z, b) : z;
  }

  protected bias(): Tensor | null {
    return this.hasParameter('bias') ? this.weight('bias') : null;
  }

  protected checkInput(x: Tensor): void {
    const inputDim = this.parameter('kernel').shape[0];
    if (x.rank !== 2 || x.shape[1] !== inputDim) {
      throw new ShapeError(`${this.name}: step input should be [batch, ${inputDim}], got ${formatShape(x.shape)}`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') {
      throw new DTypeError(`${this.name}: expected a float input, got ${x.dtype} ${formatShape(x.shape)}`);
    }
  }

  /** The activations by canonical name, for the fused kernel (null when one is a function or not fusable). */
  private fusedActivations(): [ActivationName, ActivationName] | null {
    const gate = canonicalActivation(this.options.recurrentActivation ?? 'sigmoid');
    const out = canonicalActivation(this.options.activation ?? 'tanh');
    const ok = (a: unknown): a is ActivationName => (ACTIVATION_NAMES as readonly unknown[]).includes(a);
    return ok(gate) && ok(out) ? [gate, out] : null;
  }

  override fusedForm(training: boolean): FusedForm | null {
    const acts = this.fusedActivations();
    if (!acts) return null;
    if (training && (this.options.recurrentDropout ?? 0) > 0) return null;
    const [gate, out] = acts;
    const kind = this.kind;
    const weights = kerasToTorch(kind, {
      kernel: this.weight('kernel'),
      recurrentKernel: this.weight('recurrent_kernel'),
      bias: this.bias() ?? undefined,
    });
    return {
      kind,
      weights,
      activations: kind === 'rnn' ? [out] : kind === 'lstm' ? [gate, out, out] : [gate, out],
      linearBeforeReset: kind !== 'gru' || this.resetAfter,
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
    if (this.kind !== 'rnn') config.recurrentActivation = canonicalActivation(o.recurrentActivation ?? 'sigmoid');
    if (this.kind === 'lstm') config.unitForgetBias = o.unitForgetBias ?? true;
    if (this.kind === 'gru') config.resetAfter = this.resetAfter;
    return config;
  }

  /** Keras' get_weights(): [kernel, recurrent_kernel, bias] in Keras layout. */
  override getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value);
  }
}

/** Keras SimpleRNNCell: h = act(x·K + h·R + b). */
export class SimpleRNNCell extends BuiltinCell {
  static readonly className = 'SimpleRNNCell';
  override get layerType(): string {
    return 'SimpleRNNCell';
  }

  constructor(options: CellOptions) {
    super('rnn', options);
  }

  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): SimpleRNNCell {
    return new SimpleRNNCell(config as unknown as CellOptions);
  }

  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const z = this.preActivation(x, h);
    const out = this.act(z);
    return [out, [out]];
  }
}

/** Keras LSTMCell, gates i, f, c, o: c' = f⊙c + i⊙act(z_c), h' = o⊙act(c'). */
export class LSTMCell extends BuiltinCell {
  static readonly className = 'LSTMCell';
  override get layerType(): string {
    return 'LSTMCell';
  }

  constructor(options: CellOptions) {
    super('lstm', options);
  }

  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): LSTMCell {
    return new LSTMCell(config as unknown as CellOptions);
  }

  call(x: Tensor, [h, c]: Tensor[]): [Tensor, Tensor[]] {
    const z = this.preActivation(x, h);
    const [zi, zf, zc, zo] = split(z, 4, 1);
    const cNew = add(mul(this.recAct(zf), c), mul(this.recAct(zi), this.act(zc)));
    const hNew = mul(this.recAct(zo), this.act(cNew));
    return [hNew, [hNew, cNew]];
  }
}

/**
 * Keras GRUCell, gates z, r, h: h' = z⊙h + (1 − z)⊙ĥ. With resetAfter (default) ĥ = act(x·K_h +
 * b_h + r⊙(h·R_h + b'_h)), as PyTorch; without, ĥ = act(x·K_h + (r⊙h)·R_h + b_h), classic Keras.
 */
export class GRUCell extends BuiltinCell {
  static readonly className = 'GRUCell';
  override get layerType(): string {
    return 'GRUCell';
  }

  constructor(options: CellOptions) {
    super('gru', options);
  }

  static fromConfig(config: Record<string, unknown>, _context?: ConfigContext): GRUCell {
    return new GRUCell(config as unknown as CellOptions);
  }

  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    this.checkInput(x);
    const u = this.units;
    const bias = this.bias();
    const [bInput, bRecurrent] =
      bias && bias.rank === 2 ? split(bias, 2, 0).map((t) => reshape(t, [3 * u])) : [bias, null];
    let xz = matMul(this.dropInput(x), this.weight('kernel'));
    if (bInput) xz = add(xz, bInput);
    const [xZ, xR, xH] = split(xz, 3, 1);
    const hd = this.dropState(h);
    const [rZ, rR, rH] = split(this.weight('recurrent_kernel'), 3, 1);
    let inner: Tensor;
    let candidate: Tensor;
    if (this.resetAfter) {
      inner = matMul(hd, this.weight('recurrent_kernel'));
      if (bRecurrent) inner = add(inner, bRecurrent);
      const [iZ, iR, iH] = split(inner, 3, 1);
      const z = this.recAct(add(xZ, iZ));
      const r = this.recAct(add(xR, iR));
      candidate = this.act(add(xH, mul(r, iH)));
      const hNew = add(mul(z, h), mul(sub(1, z), candidate));
      return [hNew, [hNew]];
    }
    const z = this.recAct(add(xZ, matMul(hd, rZ)));
    const r = this.recAct(add(xR, matMul(hd, rR)));
    candidate = this.act(add(xH, matMul(mul(r, hd), rH)));
    const hNew = add(mul(z, h), mul(sub(1, z), candidate));
    return [hNew, [hNew]];
  }
}

export function zeroStates(cell: Cell, batchSize: number, dtype: DType): Tensor[] {
  return cell.stateSize.map((n) => zeros([batchSize, n], dtype));
}
