import { checkOptions, runRecurrent } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  ConfigError,
  cast,
  concat,
  DTypeError,
  detach,
  dispose,
  formatShape,
  gather,
  keep,
  mul,
  RecurError,
  reshape,
  ShapeError,
  slice,
  squeeze,
  stack,
  stridedSlice,
  type Tensor,
  tensor,
  tidy,
  unsqueeze,
  ValueError,
  where,
  zeros,
} from '@recur/tensor';
import { type ConfigContext, type LayerSpec, specOf } from '../engine/config';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import { formatSymbolicShape, type ShapeArg, type SymbolicShape } from '../engine/symbolic';
import { recurrentOnnx } from '../onnx/recurrent';
import type { Cell } from './cell';
import { maskPlan, maskRows } from './mask-plan';
import { StackedRNNCells } from './stacked-cells';

export interface RNNOptions<S extends boolean = boolean> extends LayerArgs {
  /** Return the output of every step [B, T, units] instead of the last one [B, units]. */
  returnSequences?: boolean;
  /** Also return the final states: [output, ...states]. */
  returnState?: S;
  /** Process the sequence from the last step to the first (outputs in processing order, as Keras). */
  goBackwards?: boolean;
  /** Carry the final states of one call into the next (same batch size) until `resetStates()`. */
  stateful?: boolean;
  /** Accepted for Keras configs: unrolling changes speed, not results. */
  unroll?: boolean;
  /** Accepted for Keras configs (Keras' 1 / 2 kernels compute the same thing). */
  implementation?: number;
  /** Masked steps output zeros instead of repeating the previous output (Bidirectional sets it). */
  zeroOutputForMask?: boolean;
  /** false: the per-step composed path even when the fused kernel could run. */
  fused?: boolean;
}

export const RNN_OPTION_KEYS = [
  ...LAYER_ARG_KEYS,
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'unroll',
  'implementation',
  'zeroOutputForMask',
  'fused',
] as const;

/** What an RNN layer's call takes besides its input. */
export interface RNNCallOptions {
  /** Initial states, one per cell state (LSTM: [h, c]). */
  initialState?: Tensor[];
  /**
   * bool or 0/1 [B, T]: true for real steps, anywhere in the sequence (pre- or post-padding, or
   * holes). Masked steps leave the state as it was and output the previous output, or zeros with
   * `zeroOutputForMask` (Keras). A row with no real step gives the initial state.
   */
  mask?: Mask | Mask[];
  /** Overrides the module's training flag for dropout. */
  training?: boolean;
}

/**
 * Keras' RNN layer: runs a cell over the time axis of [B, T, I]. With a built-in cell and no
 * recurrent dropout it runs the backend's fused whole-sequence kernel; any other cell runs step by
 * step on composed ops. The cell is built once, on the first input. A list of cells is Keras'
 * StackedRNNCells: each step runs them in order, the states are every cell's in cell order.
 *
 * @example
 * ```ts
 * import { LSTMCell, RNN, SimpleRNNCell } from '@recur/keras';
 * import { tensor } from '@recur/tensor';
 * const rnn = new RNN(new SimpleRNNCell({ units: 3 }), { returnSequences: true });
 * console.log(rnn.apply(tensor([[[1, 0], [0, 1]]])).shape); // [1, 2, 3]
 * const lstm = new RNN(new LSTMCell({ units: 4 }), { returnState: true });
 * const [last, h, c] = lstm.apply(tensor([[[1, 0], [0, 1]]]));
 * console.log(last.shape, h.shape, c.shape); // [1, 4] [1, 4] [1, 4]
 * ```
 */
export class RNN<S extends boolean = boolean> extends Layer {
  /** The class name configs and files use for it. */
  static readonly className: string = 'RNN';
  override get layerType(): string {
    return 'RNN';
  }

  /** `apply([x, ...states])` passes the states as initial states. */
  override readonly takesInitialState = true;

  /** The cell run at each step. */
  readonly cell: Cell;
  /** Return every step's output (else the last). */
  readonly returnSequences: boolean;
  /** Return the final states after the output. */
  readonly returnState: boolean;
  /** Read the sequence from its end. */
  readonly goBackwards: boolean;
  /** Keep the final states as the next batch's initial states. */
  readonly stateful: boolean;
  declare multiOutput: S;
  /** Masked steps output zeros instead of repeating the last output (Keras sets it in Bidirectional). */
  zeroOutputForMask = false;
  /** The RNN options it was made with. */
  protected readonly rnnOptions: RNNOptions<S>;
  private readonly useFused: boolean;
  private states: Tensor[] | null = null;

  constructor(cell: Cell | Cell[], options: RNNOptions<S> = {}) {
    checkOptions(options?.name ?? 'RNN', options, RNN_OPTION_KEYS);
    super(options);
    // Keras: a list of cells is one StackedRNNCells.
    if (Array.isArray(cell)) cell = new StackedRNNCells(cell);
    if (!cell || typeof (cell as Cell).call !== 'function' || !Array.isArray((cell as Cell).stateSize)) {
      throw new ConfigError(`${this.name}: the first argument must be a cell (keras.LSTMCell, a Cell subclass, ...)`);
    }
    this.rnnOptions = { ...options };
    this.cell = this.registerModule('cell', cell);
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.multiOutput = this.returnState as S;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
    this.useFused = options.fused ?? true;
    this.zeroOutputForMask = options.zeroOutputForMask ?? false;
    this.supportsMasking = true;
  }

  /** The options this layer was made with, for copies (Bidirectional's backward layer). */
  options(): RNNOptions {
    return { ...this.rnnOptions, name: undefined };
  }

  override build(inputShape: ShapeArg): void {
    const shape = inputShape as SymbolicShape;
    if (this.stateful && (shape[0] === null || shape[0] === undefined)) {
      throw new ConfigError(
        `${this.name}: a stateful layer needs a fixed batch size; give the first layer batchInputShape (or batchSize with inputShape), got input ${formatSymbolicShape(shape)}`,
      );
    }
    if (!this.cell.built) {
      this.cell.build([shape[0] ?? null, ...shape.slice(2)]);
      // A user cell's build may not call super.build: it still runs only once.
      (this.cell as unknown as { markBuilt(): void }).markBuilt();
    }
    this.markBuilt();
  }

  protected override checkInitialStates(states: SymbolicShape[]): void {
    const sizes = this.cell.stateSize;
    if (states.length !== sizes.length) {
      throw new ConfigError(
        `${this.name}: expected ${sizes.length} initial state tensor(s) (one per cell state), got ${states.length}`,
      );
    }
    states.forEach((s, i) => {
      if (s.length !== 2 || (s[1] !== null && s[1] !== sizes[i])) {
        throw new ShapeError(
          `${this.name}: initial state ${i} should be [batch, ${sizes[i]}], got ${formatSymbolicShape(s)}`,
        );
      }
    });
  }

  protected override checkInputShape(inputShape: ShapeArg): void {
    const shape = inputShape as SymbolicShape;
    if (shape.length !== 3 || Array.isArray(shape[0])) {
      throw new ShapeError(`${this.name}: input should be [batch, time, features], got ${JSON.stringify(shape)}`);
    }
    const kernel = this.cell.namedParameters().find(([n]) => n === 'kernel')?.[1];
    if (kernel && shape[2] !== null && shape[2] !== kernel.shape[0]) {
      throw new ShapeError(
        `${this.name}: built for ${kernel.shape[0]} input features, got input with ${shape[2]} (${formatShape(shape as number[])})`,
      );
    }
  }

  /**
   * Zeros for each state of the cell, for a batch of `inputs` (a [B, T, F] tensor, as tfjs'
   * getInitialState) or of that many rows (Keras 3's get_initial_state(batch_size)).
   */
  getInitialState(inputs: Tensor | number): Tensor[] {
    const B = typeof inputs === 'number' ? inputs : inputs.shape[0];
    if (!Number.isInteger(B) || B < 1) {
      throw new ValueError(`${this.name}: getInitialState needs a batch (a [B, T, F] tensor or B), got ${B}`);
    }
    if (!this.cell.built) {
      throw new ConfigError(`${this.name}: the cell is not built yet; call the layer (or build it) first`);
    }
    const dtype = this.cell.parameters()[0]?.dtype ?? 'float32';
    return this.cell.stateSize.map((n) => zeros([B, n], dtype));
  }

  /** Drops the carried states of a stateful layer (or sets them). */
  resetStates(states?: Tensor[]): void {
    if (this.states) dispose(this.states);
    this.states = states ? states.map((s) => keep(detach(s))) : null;
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape | SymbolicShape[] {
    const shape = inputShape as SymbolicShape;
    if (!this.cell.built) this.build(shape);
    const [B, T] = shape;
    const out = this.returnSequences ? [B, T, this.cell.outputSize] : [B, this.cell.outputSize];
    if (!this.returnState) return out;
    return [out, ...this.cell.stateSize.map((n) => [B, n])];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask | Mask[] {
    const m = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...this.cell.stateSize.map(() => null)] : out;
  }

  /** Output [B, T, units] or [B, units]; with returnState, [output, ...final states]. */
  override forward(input: Tensor, call: RNNCallOptions | CallArgs = {}): Tensor | Tensor[] {
    if (Array.isArray(input)) {
      // tfjs' form: apply([x, ...initialStates]).
      const [x, ...states] = input as Tensor[];
      return this.forward(x, { ...call, initialState: states.length ? states : call.initialState });
    }
    if (input.rank !== 3) {
      throw new ShapeError(`${this.name}: input should be [batch, time, features], got ${formatShape(input.shape)}`);
    }
    if (input.dtype !== 'float32' && input.dtype !== 'float64') {
      throw new DTypeError(
        `${this.name}: expected a float32 input [batch, time, features], got ${input.dtype} ${formatShape(input.shape)}`,
      );
    }
    if (!this.built) this.build(input.shape as number[]);
    this.checkInputShape(input.shape as number[]);
    const [B, T] = input.shape;
    const training = call.training ?? this.training;
    const maskTensor = Array.isArray(call.mask) ? (call.mask[0] ?? null) : (call.mask ?? null);
    const result = tidy(() => {
      const initial = this.initialStates(B, input, call.initialState);
      const mask = maskTensor ? maskRows(this.name, maskTensor, B, T) : null;
      // A row with no real step keeps its initial state (Keras): only the step path expresses that.
      const emptyRow = mask?.some((row) => !row.some(Boolean)) ?? false;
      this.cell.startSequence(B, training);
      try {
        const fusedForm = this.useFused && !emptyRow ? this.cell.fusedForm(training) : null;
        const fusedOk = fusedForm && input.backend.fused?.recurrent;
        const r = fusedOk
          ? this.runFused(input, initial, mask, training)
          : this.runSteps(input, initial, mask, training);
        return r;
      } finally {
        this.cell.endSequence();
      }
    });
    if (this.stateful) this.resetStates(result.states);
    const output = this.returnSequences ? result.sequence : result.last;
    const returned = new Set<Tensor>([output, ...(this.returnState ? result.states : [])]);
    // `last` and the first state are often one tensor: free each unreturned tensor once.
    for (const t of new Set([result.sequence, result.last, ...result.states])) if (!returned.has(t)) t.dispose();
    return this.returnState ? [output, ...result.states] : output;
  }

  override getConfig(): Record<string, unknown> {
    const {
      name: _n,
      batchInputShape: _b,
      inputShape: _i,
      batchSize: _s,
      dtype: _d,
      trainable: _t,
      ...rnn
    } = this.rnnOptions;
    return {
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: rnn.unroll ?? false,
      zeroOutputForMask: this.zeroOutputForMask,
      ...(rnn.implementation !== undefined ? { implementation: rnn.implementation } : {}),
      ...(this.constructor === RNN ? { cell: this.cellSpec() } : {}),
    };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, context: ConfigContext): RNN {
    const { cell, ...rest } = config;
    if (!cell || typeof cell !== 'object') throw new ConfigError(`RNN config: 'cell' should be { className, config }`);
    return new RNN(context.deserialize(cell as LayerSpec) as Cell, rest as RNNOptions);
  }

  /** A generic RNN's config carries its cell's spec. */
  protected cellSpec(): LayerSpec {
    return specOf(this.cell);
  }

  private initialStates(B: number, input: Tensor, given?: Tensor[]): Tensor[] {
    const sizes = this.cell.stateSize;
    const dtype = this.cell.parameters()[0]?.dtype ?? 'float32';
    const states = given ?? this.states ?? sizes.map((n) => zeros([B, n], dtype));
    if (states.length !== sizes.length) {
      throw new RecurError(`${this.name}: expected ${sizes.length} initial state tensor(s), got ${states.length}`);
    }
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== sizes[i]) {
        throw new ShapeError(
          `${this.name}: initial state ${i} should be [${B}, ${sizes[i]}] for input ${formatShape(input.shape)}, got ${formatShape(s.shape)}`,
        );
      }
    });
    return states.map((s) => (s.dtype === dtype ? s : cast(s, dtype)));
  }

  /**
   * The fused kernel runs on each sequence's real steps moved to the front (a gather), with their
   * count as its length; the outputs are then put back at the steps they belong to, masked steps
   * repeating the previous output (Keras) or zero. Without a mask this is one plain kernel call.
   */
  private runFused(input: Tensor, initial: Tensor[], mask: boolean[][] | null, training: boolean): StepResult {
    const form = this.cell.fusedForm(training);
    if (!form) throw new Error('unreachable');
    const dtype = initial[0].dtype;
    let x = input.dtype === dtype ? input : cast(input, dtype);
    const dropMask = (this.cell as { inputDropoutMask?: () => Tensor | null }).inputDropoutMask?.() ?? null;
    if (dropMask) x = mul(x, unsqueeze(dropMask, 1));
    const [B, T] = x.shape;
    const plan = mask ? maskPlan(mask, T, this.goBackwards, this.zeroOutputForMask) : null;
    if (plan) x = reshape(gather(reshape(x, [B * T, -1]), tensor(plan.compact, { dtype: 'int32' }), 0), [B, T, -1]);
    const r = runRecurrent(
      x,
      form.weights,
      {
        h0: initial[0],
        c0: form.kind.states.length === 2 ? initial[1] : undefined,
        seqLengths: plan ? tensor(plan.lengths, { dtype: 'int32' }) : undefined,
      },
      {
        kind: form.kind,
        hiddenSize: this.cell.outputSize,
        projSize: 0,
        reverse: this.goBackwards,
        activations: form.activations,
        linearBeforeReset: form.linearBeforeReset,
      },
    );
    let sequence: Tensor;
    if (plan) {
      // Row b·T + T of the source is a zero row: what masked steps read before any real step.
      const flat = concat([reshape(r.y, [B * T, -1]), zeros([1, r.y.shape[2]], r.y.dtype)], 0);
      sequence = reshape(gather(flat, tensor(plan.expand, { dtype: 'int32' }), 0), [B, T, -1]);
    } else {
      // Keras returns a backwards layer's outputs in processing order.
      sequence = this.goBackwards ? stridedSlice(r.y, [T - 1], [-T - 1], [1], [-1]) : r.y;
    }
    // Keras' last output is the last step's output: the final h, unless masked steps output zeros.
    const last = plan ? squeeze(slice(sequence, [0, T - 1, 0], [B, 1, -1]), 1) : r.hN;
    return { sequence, last, states: r.cN ? [r.hN, r.cN] : [r.hN] };
  }

  private runSteps(input: Tensor, initial: Tensor[], mask: boolean[][] | null, training: boolean): StepResult {
    const [B, T] = input.shape;
    let states = initial;
    let prev: Tensor | null = null;
    const outputs: Tensor[] = [];
    for (let s = 0; s < T; s++) {
      const t = this.goBackwards ? T - 1 - s : s;
      const xt = reshape(slice(input, [0, t, 0], [B, 1, -1]), [B, -1]);
      let [out, next] = this.cell.call(xt, states, training);
      if (mask) {
        const running = tensor(
          mask.map((row) => (row[t] ? 1 : 0)),
          { shape: [B, 1], dtype: 'bool' },
        );
        const fallback = this.zeroOutputForMask || !prev ? zeros(out.shape, out.dtype) : prev;
        out = where(running, out, fallback);
        next = next.map((n, i) => where(running, n, states[i]));
      }
      prev = out;
      outputs.push(out);
      states = next;
    }
    // Keras' last output is the last step's (masked) output.
    return { sequence: stack(outputs, 1), last: outputs[outputs.length - 1], states };
  }

  /** Its ONNX form: one ONNX RNN / GRU / LSTM node (built-in cells only), masks through compaction. */
  onnxNodes(ctx: ExportContext, inputs: Value[], stateCount: number): Value[] {
    return recurrentOnnx(ctx, { rnn: this }, inputs, stateCount);
  }
}

interface StepResult {
  sequence: Tensor;
  last: Tensor;
  states: Tensor[];
}
