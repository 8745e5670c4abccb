import type { ActivationName } from '@recur/backend-api';
import {
  add,
  concat,
  type DType,
  formatShape,
  matMul,
  mul,
  ones,
  type Rng,
  reshape,
  split,
  sub,
  type Tensor,
  tidy,
  transpose,
  zeros,
} from '@recur/tensor';
import { activation } from '../activations';
import { dropout } from '../dropout';
import { type InitializerSpec, initializer } from '../initializers';
import { uniqueName } from '../module';
import { reorderGates } from '../weight-layout/gate-order';
import { Cell, type FusedForm } from './cell';

export interface CellOptions {
  units: number;
  /** Output / candidate activation (default tanh). A function works too, on the composed path. */
  activation?: ActivationName | ((x: Tensor) => Tensor);
  /** LSTM and GRU gates (default sigmoid). */
  recurrentActivation?: ActivationName | ((x: Tensor) => Tensor);
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
}

type Kind = 'rnn' | 'lstm' | 'gru';
const GATES: Record<Kind, number> = { rnn: 1, lstm: 4, gru: 3 };

/** SimpleRNNCell, LSTMCell and GRUCell share their weights' shapes, masks and fused form. */
abstract class BuiltinCell extends Cell {
  readonly units: number;
  readonly outputSize: number;
  protected readonly act: (x: Tensor) => Tensor;
  protected readonly recAct: (x: Tensor) => Tensor;
  private inputMask: Tensor | null = null;
  private stateMask: Tensor | null = null;
  private built = false;

  constructor(
    readonly kind: Kind,
    readonly options: CellOptions,
  ) {
    // Named here, not through defaultName(): the kind is not set yet while Module's constructor runs.
    super(options.name ?? uniqueName(kind === 'rnn' ? 'simple_rnn_cell' : `${kind}_cell`));
    if (!Number.isInteger(options.units) || options.units <= 0) {
      throw new Error(`${this.name}: units must be a positive integer, got ${options.units}`);
    }
    this.units = options.units;
    this.outputSize = options.units;
    this.act = activation(options.activation ?? 'tanh');
    this.recAct = activation(options.recurrentActivation ?? 'sigmoid');
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /** Keras' bias shape: GRU with resetAfter keeps an input and a recurrent bias, [2, 3u]. */
  protected biasShape(): number[] {
    const n = GATES[this.kind] * this.units;
    return this.kind === 'gru' && this.resetAfter ? [2, n] : [n];
  }

  get resetAfter(): boolean {
    return this.options.resetAfter ?? true;
  }

  build(inputShape: readonly (number | null)[]): void {
    if (this.built) return;
    const inputDim = inputShape[inputShape.length - 1];
    if (!inputDim) throw new Error(`${this.name}: the feature axis of the input must be known, got [${inputShape}]`);
    const n = GATES[this.kind] * this.units;
    const o = { dtype: this.options.dtype ?? 'float32', rng: this.options.rng };
    this.addWeight('kernel', initializer(this.options.kernelInitializer ?? 'glorotUniform')([inputDim, n], o));
    this.addWeight(
      'recurrent_kernel',
      initializer(this.options.recurrentInitializer ?? 'orthogonal')([this.units, n], o),
    );
    if (this.options.useBias ?? true) {
      let bias = initializer(this.options.biasInitializer ?? 'zeros')(this.biasShape(), o);
      if (this.kind === 'lstm' && (this.options.unitForgetBias ?? true)) {
        // Keras: the forget gate's slice starts at 1 whatever the bias initializer says.
        const u = this.units;
        const initial = bias;
        bias = tidy(() => {
          const [input, , rest] = split(initial, [u, u, 2 * u], 0);
          return concat([input, ones([u], initial.dtype), rest], 0);
        });
        initial.dispose();
      }
      this.addWeight('bias', bias);
    }
    this.built = true;
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
      throw new Error(`${this.name}: step input should be [batch, ${inputDim}], got ${formatShape(x.shape)}`);
    }
  }

  override fusedForm(training: boolean): FusedForm | null {
    const acts = [this.options.recurrentActivation ?? 'sigmoid', this.options.activation ?? 'tanh'];
    if (acts.some((a) => typeof a === 'function')) return null;
    if (training && (this.options.recurrentDropout ?? 0) > 0) return null;
    const [gate, out] = acts as ActivationName[];
    const kind = this.kind;
    const toTorch = (w: Tensor) => transpose(reorderGates(w, kind, 1, 'keras', 'torch'));
    const bias = this.bias();
    let bIh: Tensor | undefined;
    let bHh: Tensor | undefined;
    if (bias && bias.rank === 2) {
      const [bi, bh] = split(bias, 2, 0);
      bIh = reorderGates(reshape(bi, [bias.shape[1]]), kind, 0, 'keras', 'torch');
      bHh = reorderGates(reshape(bh, [bias.shape[1]]), kind, 0, 'keras', 'torch');
    } else if (bias) {
      bIh = reorderGates(bias, kind, 0, 'keras', 'torch');
    }
    return {
      kind,
      weights: { wIh: toTorch(this.weight('kernel')), wHh: toTorch(this.weight('recurrent_kernel')), bIh, bHh },
      activations: kind === 'rnn' ? [out] : kind === 'lstm' ? [gate, out, out] : [gate, out],
      linearBeforeReset: kind !== 'gru' || this.resetAfter,
    };
  }

  /** Keras' get_weights(): [kernel, recurrent_kernel, bias] in Keras layout. */
  getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value);
  }
}

/** Keras SimpleRNNCell: h = act(x·K + h·R + b). */
export class SimpleRNNCell extends BuiltinCell {
  override get layerType(): string {
    return 'SimpleRNNCell';
  }

  constructor(options: CellOptions) {
    super('rnn', options);
  }

  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const z = this.preActivation(x, h);
    const out = this.act(z);
    return [out, [out]];
  }
}

/** Keras LSTMCell, gates i, f, c, o: c' = f⊙c + i⊙act(z_c), h' = o⊙act(c'). */
export class LSTMCell extends BuiltinCell {
  override get layerType(): string {
    return 'LSTMCell';
  }

  constructor(options: CellOptions) {
    super('lstm', options);
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
  override get layerType(): string {
    return 'GRUCell';
  }

  constructor(options: CellOptions) {
    super('gru', options);
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
