import { isPackedSequence, type PackedSequence, packPaddedSequence, padPackedSequence } from '@recur/data';
import {
  ConfigError,
  cast,
  concat,
  type DType,
  DTypeError,
  formatShape,
  RecurError,
  type Rng,
  reshape,
  ShapeError,
  slice,
  squeeze,
  stack,
  swapAxes,
  Tensor,
  tensor,
  tidy,
  UnsupportedError,
  ValueError,
  zeros,
} from '@recur/tensor';
import { type CellSpec, cellSpec, gateCount } from '../cells/index';
import { dropout } from '../dropout';
import { torchUniform } from '../initializers';
import { Module, uniqueName } from '../module';
import { fusedRecurrentUsable, type RecurrentOpAttrs, type RecurrentWeights, runRecurrent } from '../ops/recurrent';
import { checkOptions } from '../options';

/** PyTorch's constructor arguments of nn.RNN / nn.LSTM / nn.GRU, camelCased. */
export interface TorchRecurrentOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Run a reverse direction too and concatenate (default false). */
  bidirectional?: boolean;
  /** Inputs and outputs are [B, T, F] (default false: [T, B, F], as PyTorch). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  dropout?: number;
  /** Whether the layer has biases (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: DType;
  /** The generator the weights are drawn from (default: the global one). */
  rng?: Rng;
  /** The module's name (default generated: lstm, lstm_1, ...). */
  name?: string;
  /** false forces the composed per-step path even when the backend has a fused kernel. */
  fused?: boolean;
}

/** What `forward` starts from (every field optional). */
export interface ForwardState {
  /** [numLayers · dirs, B, Hout]; zeros when absent. */
  h0?: Tensor;
  /** LSTM: [numLayers · dirs, B, H]. */
  c0?: Tensor;
  /** int32 [B]: per-sequence lengths; outputs past a sequence's end are zeros. */
  seqLengths?: Tensor;
}

/** What `forward` returns, shaped as PyTorch's (output, h_n[, c_n]). */
export interface RecurrentOutput<O = Tensor> {
  /** [B, T, dirs · Hout] with batchFirst, else [T, B, dirs · Hout]; packed when the input was. */
  output: O;
  /** [numLayers · dirs, B, Hout] */
  hN: Tensor;
  /** LSTM: [numLayers · dirs, B, H] */
  cN?: Tensor;
}

/**
 * PyTorch's nn.RNN / nn.LSTM / nn.GRU for any cell kind (a `CellSpec`): stacked, optionally
 * bidirectional, with PyTorch's parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`,
 * `weight_hr_l0`) and initialisation U(-1/√H, 1/√H). `RNN`, `LSTM` and `GRU` are it for recur's
 * three kinds; a new kind is `new TorchRecurrent(spec, inputSize, hiddenSize, options)`.
 */
export class TorchRecurrent extends Module {
  /** The cell kind's name ('lstm'). */
  readonly kind: string;
  /** The cell kind this layer runs. */
  readonly cell: CellSpec;
  /** Features per input step. */
  readonly inputSize: number;
  /** H, the state size. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether a reverse direction runs too. */
  readonly bidirectional: boolean;
  /** Whether inputs and outputs are [B, T, F] (else [T, B, F]). */
  readonly batchFirst: boolean;
  /** Dropout between stacked layers, in training mode. */
  readonly dropoutRate: number;
  /** Whether the layer has biases. */
  readonly bias: boolean;
  /** LSTM's output projection size (0: none). */
  readonly projSize: number;
  /** The activations by name, in the cell's order. */
  protected readonly activations: string[];
  private readonly useFused: boolean;

  constructor(
    kind: string | CellSpec,
    inputSize: number,
    hiddenSize: number,
    options: TorchRecurrentOptions & { projSize?: number; activations?: string[] } = {},
  ) {
    // Named before the fields exist: nn.LSTM's layers are 'lstm', 'lstm_1', ...
    super(options.name ?? uniqueName(cellSpec(kind).names.torch.toLowerCase()));
    for (const [what, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', options.numLayers ?? 1],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(`${this.name}: ${what} must be a positive integer, got ${v}`);
    }
    this.cell = cellSpec(kind);
    this.kind = this.cell.kind;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? false;
    this.dropoutRate = options.dropout ?? 0;
    if (!(typeof this.dropoutRate === 'number' && this.dropoutRate >= 0 && this.dropoutRate <= 1))
      throw new ValueError(`${this.name}: dropout must be a number in [0, 1], got ${JSON.stringify(options.dropout)}`);
    this.bias = options.bias ?? true;
    this.projSize = options.projSize ?? 0;
    this.activations = options.activations ?? [...this.cell.activations];
    this.useFused = options.fused ?? true;
    if (this.projSize < 0 || (this.projSize >= hiddenSize && this.projSize !== 0)) {
      throw new ValueError(`${this.name}: projSize must be in [0, hiddenSize), got ${this.projSize}`);
    }
    if (this.projSize > 0 && this.cell.states.length !== 2) {
      throw new ValueError(`${this.name}: projSize projects an LSTM's output; a ${this.kind} cell has none`);
    }
    const G = gateCount(this.cell);
    const H = hiddenSize;
    const Hout = this.outputSize;
    const init = torchUniform(1 / Math.sqrt(H));
    const o = { dtype: options.dtype ?? 'float32', rng: options.rng };
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : Hout * this.directions;
      for (let d = 0; d < this.directions; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${sfx}`, init([G * H, layerInput], o));
        this.registerParameter(`weight_hh${sfx}`, init([G * H, Hout], o));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, init([G * H], o));
          this.registerParameter(`bias_hh${sfx}`, init([G * H], o));
        }
        if (this.projSize > 0) this.registerParameter(`weight_hr${sfx}`, init([this.projSize, H], o));
      }
    }
  }

  override get layerType(): string {
    return this.cell?.names.torch ?? 'TorchRecurrent';
  }

  /** The cell's activations (ONNX's f, g, h), for exporters. */
  get activationNames(): string[] {
    return [...this.activations];
  }

  /** 1, or 2 when bidirectional. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Size of h (and of each direction's output): projSize when projecting, else hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The output's shape for an input of this shape: the last axis becomes directions · outputSize. */
  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape.slice(0, -1), this.directions * this.outputSize];
  }

  /** The weights of one layer and direction, for the recurrent kernel. */
  protected weightsOf(layer: number, direction: number): RecurrentWeights {
    const sfx = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
    const get = (n: string) => (this.hasParameter(n) ? this.parameter(n).value : undefined);
    return {
      wIh: this.parameter(`weight_ih${sfx}`).value,
      wHh: this.parameter(`weight_hh${sfx}`).value,
      bIh: get(`bias_ih${sfx}`),
      bHh: get(`bias_hh${sfx}`),
      wHr: get(`weight_hr${sfx}`),
    };
  }

  /** The recurrent op's attributes for one direction. */
  protected attrs(reverse: boolean): RecurrentOpAttrs {
    return {
      kind: this.cell,
      hiddenSize: this.hiddenSize,
      projSize: this.projSize,
      reverse,
      activations: this.activations,
      linearBeforeReset: true,
    };
  }

  private checkState(what: 'h0' | 'c0', t: Tensor, B: number, size: number): void {
    const want = [this.numLayers * this.directions, B, size];
    if (t.rank !== 3 || t.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(`${this.name}: ${what} should be ${formatShape(want)}, got ${formatShape(t.shape)}`);
    }
  }

  /**
   * Runs the whole stack; see RecurrentOutput for the shapes. A PackedSequence input gives a
   * PackedSequence output over the same steps, and h_n / c_n at each sequence's own last token.
   */
  forward(input: PackedSequence, state?: ForwardState | Tensor | Tensor[]): RecurrentOutput<PackedSequence>;
  forward(input: Tensor, state?: ForwardState | Tensor | Tensor[]): RecurrentOutput<Tensor>;
  forward(
    input: Tensor | PackedSequence,
    given: ForwardState | Tensor | Tensor[] = {},
  ): RecurrentOutput<Tensor | PackedSequence> {
    const state = this.stateOf(given);
    if (isPackedSequence(input)) {
      if (state.seqLengths)
        throw new RecurError(`${this.name}: a PackedSequence carries its lengths; do not pass seqLengths too`);
      if (this.kernelTakesPacked(input)) return this.runPacked(input, state);
      const { output: padded, lengths } = padPackedSequence(input, { batchFirst: true });
      const lengthTensor = tensor(lengths, { dtype: 'int32' });
      try {
        const r = this.run(padded, { ...state, seqLengths: lengthTensor }, true);
        const packed = packPaddedSequence(r.output, lengths, { batchFirst: true, enforceSorted: false });
        r.output.dispose();
        return { ...r, output: packed };
      } finally {
        padded.dispose();
        lengthTensor.dispose();
      }
    }
    return this.run(input, state, this.batchFirst);
  }

  /**
   * One time step, for token-by-token use (streaming, sampling): x [B, inputSize] and the state
   * the previous step returned (absent: zeros) give the output [B, Hout] and the next state — the
   * same numbers as `forward` over the whole sequence, one step per call, on the fused kernel.
   * `forward(x_t[:, None], state)` does the same with the time axis; this skips it. A
   * bidirectional layer has no step: its reverse direction needs the whole sequence.
   *
   * @example
   * ```ts
   * import { LSTM } from '@recur/layers';
   * import { dispose, randomNormal } from '@recur/tensor';
   * const lstm = new LSTM(3, 8, { batchFirst: true });
   * let state: { hN: import('@recur/tensor').Tensor; cN?: import('@recur/tensor').Tensor } | undefined;
   * for (let t = 0; t < 4; t++) {
   *   const r = lstm.step(randomNormal([1, 3]), state && { h0: state.hN, c0: state.cN });
   *   if (state) dispose(state);
   *   state = { hN: r.hN, cN: r.cN };
   *   r.output.dispose();
   * }
   * console.log(state?.hN.shape); // [1, 1, 8]
   * ```
   */
  step(x: Tensor, state: { h0?: Tensor; c0?: Tensor } = {}): RecurrentOutput<Tensor> {
    if (this.bidirectional) {
      throw new UnsupportedError(
        `${this.name}: step() runs one direction; a bidirectional layer needs the whole sequence`,
      );
    }
    if (x.rank !== 2) {
      throw new ShapeError(`${this.name}: step() takes x [batch, features], got ${formatShape(x.shape)}`);
    }
    checkOptions(this.name, state, ['h0', 'c0']);
    return tidy(() => {
      const r = this.runStack(reshape(x, [x.shape[0], 1, x.shape[1]]), state, false);
      return { ...r, output: reshape(r.output, [x.shape[0], this.outputSize]) };
    });
  }

  /**
   * Whether the packed rows can go straight into the backend's kernel (no unpacking around it):
   * the kernel takes them, and the packing orders sequences as the kernel does (longest first,
   * ties in batch order — packPaddedSequence's order; a hand-made packing may differ).
   */
  private kernelTakesPacked(input: PackedSequence): boolean {
    const probe = { ...this.attrs(false), packedInput: true };
    if (!fusedRecurrentUsable(input.data, probe, { fused: this.useFused })) return false;
    if (this.bidirectional && !fusedRecurrentUsable(input.data, { ...probe, reverse: true }, { fused: this.useFused }))
      return false;
    const lengths = input.lengths;
    const order = [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
    return order.every((b, i) => b === input.sortedIndices[i]);
  }

  /** A PackedSequence through the stack with every layer on its packed rows [N, features]. */
  private runPacked(input: PackedSequence, state: ForwardState): RecurrentOutput<PackedSequence> {
    const lengths = tensor(input.lengths, { dtype: 'int32' });
    try {
      const r = this.runStack(input.data, { ...state, seqLengths: lengths }, true);
      return { ...r, output: input.withData(r.output) };
    } finally {
      lengths.dispose();
    }
  }

  /**
   * PyTorch's second argument: h0 (`rnn(x, h0)`), [h0, c0] for an LSTM (`lstm(x, (h0, c0))`), or
   * recur's { h0, c0, seqLengths }. Never ignored: anything else is an error.
   */
  private stateOf(given: ForwardState | Tensor | Tensor[]): ForwardState {
    if (given instanceof Tensor) return { h0: given };
    if (Array.isArray(given)) {
      if (given.length === 0 || given.length > 2 || !given.every((t) => t instanceof Tensor)) {
        throw new ConfigError(`${this.name}: the initial state should be h0, [h0, c0] or { h0, c0, seqLengths }`);
      }
      if (given.length === 2 && this.cell.states.length !== 2) {
        throw new ConfigError(`${this.name}: [h0, c0] is an LSTM's state; a ${this.kind.toUpperCase()} takes h0 alone`);
      }
      return { h0: given[0], c0: given[1] };
    }
    if (!given || typeof given !== 'object') {
      throw new ConfigError(
        `${this.name}: the initial state should be h0, [h0, c0] or { h0, c0, seqLengths }, got ${typeof given}`,
      );
    }
    checkOptions(this.name, given, ['h0', 'c0', 'seqLengths']);
    return given;
  }

  private run(input: Tensor, state: ForwardState, batchFirst: boolean): RecurrentOutput<Tensor> {
    if (input.rank !== 3) {
      const layout = batchFirst ? '[batch, time, features]' : '[time, batch, features]';
      throw new ShapeError(`${this.name}: input should have rank 3 ${layout}, got ${formatShape(input.shape)}`);
    }
    return tidy(() => {
      const r = this.runStack(batchFirst ? input : swapAxes(input, 0, 1), state, false);
      return { ...r, output: batchFirst ? r.output : swapAxes(r.output, 0, 1) };
    });
  }

  /**
   * The stack over x: [B, T, F], or with `packed` the rows [N, F] of a packing whose lengths are
   * state.seqLengths (each layer's output is then packed the same way).
   */
  private runStack(input: Tensor, state: ForwardState, packed: boolean): RecurrentOutput<Tensor> {
    const featureAxis = input.rank - 1;
    if (packed && input.rank !== 2) {
      throw new ShapeError(`${this.name}: packed data should be [steps, features], got ${formatShape(input.shape)}`);
    }
    if (input.dtype !== 'float32' && input.dtype !== 'float64') {
      throw new DTypeError(
        `${this.name}: expected a float input ${formatShape(input.shape)}, got ${input.dtype} (token ids go through an Embedding first)`,
      );
    }
    if (input.shape[featureAxis] !== this.inputSize) {
      throw new ShapeError(
        `${this.name}: input has ${input.shape[featureAxis]} features, expected inputSize ${this.inputSize} (input ${formatShape(input.shape)})`,
      );
    }
    return tidy(() => {
      let x = input;
      const B = packed ? (state.seqLengths?.size ?? 0) : x.shape[0];
      const T = packed ? Number.POSITIVE_INFINITY : x.shape[1];
      const dtype = this.parameter(`weight_ih_l0`).dtype;
      if (x.dtype !== dtype) x = cast(x, dtype);
      const lengths = state.seqLengths ? this.checkLengths(state.seqLengths, B, T) : undefined;
      const L = this.numLayers * this.directions;
      if (state.h0) this.checkState('h0', state.h0, B, this.outputSize);
      if (state.c0) this.checkState('c0', state.c0, B, this.hiddenSize);
      const twoStates = this.cell.states.length === 2;
      if (state.c0 && !twoStates) throw new RecurError(`${this.name}: c0 is only for LSTM`);
      const as = (t: Tensor) => (t.dtype === dtype ? t : cast(t, dtype));
      const h0 = state.h0 ? as(state.h0) : zeros([L, B, this.outputSize], dtype);
      const c0 = twoStates ? (state.c0 ? as(state.c0) : zeros([L, B, this.hiddenSize], dtype)) : undefined;
      const hN: Tensor[] = [];
      const cN: Tensor[] = [];
      // One layer and direction (the common case, and every step() call): a reshape shares the data.
      const stateAt = (s: Tensor, k: number) =>
        L === 1 ? reshape(s, s.shape.slice(1)) : squeeze(slice(s, [k, 0, 0], [1, -1, -1]), 0);
      const stacked = (ts: Tensor[]) => (ts.length === 1 ? reshape(ts[0], [1, ...ts[0].shape]) : stack(ts, 0));
      for (let layer = 0; layer < this.numLayers; layer++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < this.directions; d++) {
          const k = layer * this.directions + d;
          const r = runRecurrent(
            x,
            this.weightsOf(layer, d),
            { h0: stateAt(h0, k), c0: c0 ? stateAt(c0, k) : undefined, seqLengths: lengths },
            { ...this.attrs(d === 1), packedInput: packed },
            { fused: this.useFused },
          );
          outs.push(r.y);
          hN.push(r.hN);
          if (r.cN) cN.push(r.cN);
        }
        x = outs.length === 1 ? outs[0] : concat(outs, featureAxis);
        if (layer < this.numLayers - 1 && this.training && this.dropoutRate > 0) x = dropout(x, this.dropoutRate);
      }
      return {
        output: x,
        hN: stacked(hN),
        cN: twoStates ? stacked(cN) : undefined,
      };
    });
  }

  private checkLengths(lengths: Tensor, B: number, T: number): Tensor {
    const values = Array.from(lengths.dataSync());
    if (lengths.rank !== 1 || values.length !== B) {
      throw new ShapeError(`${this.name}: seqLengths should be [${B}], got ${formatShape(lengths.shape)}`);
    }
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 1 || v > T) {
        throw new ValueError(`${this.name}: seqLengths[${i}] = ${v} is outside 1..${T}`);
      }
    });
    return lengths.dtype === 'int32' ? lengths : cast(lengths, 'int32');
  }
}
