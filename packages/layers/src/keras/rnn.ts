import {
  cast,
  concat,
  detach,
  dispose,
  formatShape,
  gather,
  keep,
  mul,
  reshape,
  slice,
  squeeze,
  stack,
  stridedSlice,
  type Tensor,
  tensor,
  tidy,
  unsqueeze,
  where,
  zeros,
} from '@recur/tensor';
import { Module } from '../module';
import { runRecurrent } from '../recurrent/recurrent-op';
import type { Cell } from './cell';

export interface RNNOptions {
  /** Return the output of every step [B, T, units] instead of the last one [B, units]. */
  returnSequences?: boolean;
  /** Also return the final states: [output, ...states]. */
  returnState?: boolean;
  /** Process the sequence from the last step to the first (outputs in processing order, as Keras). */
  goBackwards?: boolean;
  /** Carry the final states of one call into the next (same batch size) until `resetStates()`. */
  stateful?: boolean;
  /** false: the per-step composed path even when the fused kernel could run. */
  fused?: boolean;
  name?: string;
}

export interface RNNCallOptions {
  /** Initial states, one per cell state (LSTM: [h, c]). */
  initialState?: Tensor[];
  /**
   * bool or 0/1 [B, T]: true for real steps, anywhere in the sequence (pre- or post-padding, or
   * holes). Masked steps leave the state as it was and output the previous output, or zeros with
   * `zeroOutputForMask` (Keras).
   */
  mask?: Tensor;
  /** Overrides the module's training flag for dropout. */
  training?: boolean;
}

/**
 * Keras' RNN layer: runs a cell over the time axis of [B, T, I]. With a built-in cell and no
 * recurrent dropout it runs the backend's fused whole-sequence kernel; any other cell runs step by
 * step on composed ops.
 */
export class RNN extends Module {
  override get layerType(): string {
    return 'RNN';
  }

  readonly cell: Cell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /** Masked steps output zeros instead of repeating the last output (Keras sets it in Bidirectional). */
  zeroOutputForMask = false;
  private readonly useFused: boolean;
  private states: Tensor[] | null = null;

  constructor(cell: Cell, options: RNNOptions = {}) {
    super(options.name);
    this.cell = this.registerModule('cell', cell);
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
    this.useFused = options.fused ?? true;
  }

  /** The options this layer was made with, for copies (Bidirectional's backward layer). */
  options(): RNNOptions {
    return {
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      fused: this.useFused,
    };
  }

  build(inputShape: readonly (number | null)[]): void {
    this.cell.build(inputShape);
  }

  /** Drops the carried states of a stateful layer (or sets them). */
  resetStates(states?: Tensor[]): void {
    if (this.states) dispose(this.states);
    this.states = states ? states.map((s) => keep(detach(s))) : null;
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    this.build(inputShape);
    const [B, T] = inputShape;
    return this.returnSequences ? [B, T, this.cell.outputSize] : [B, this.cell.outputSize];
  }

  /** Output [B, T, units] or [B, units]; with returnState, [output, ...final states]. */
  forward(input: Tensor, call: RNNCallOptions = {}): Tensor | Tensor[] {
    if (input.rank !== 3) {
      throw new Error(`${this.name}: input should be [batch, time, features], got ${formatShape(input.shape)}`);
    }
    this.build(input.shape);
    const [B, T] = input.shape;
    const training = call.training ?? this.training;
    const result = tidy(() => {
      const initial = this.initialStates(B, input, call.initialState);
      const mask = call.mask ? maskRows(this.name, call.mask, B, T) : null;
      this.cell.startSequence(B, training);
      try {
        const fusedForm = this.useFused ? this.cell.fusedForm(training) : null;
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

  private initialStates(B: number, input: Tensor, given?: Tensor[]): Tensor[] {
    const sizes = this.cell.stateSize;
    const dtype = this.cell.parameters()[0]?.dtype ?? 'float32';
    const states = given ?? this.states ?? sizes.map((n) => zeros([B, n], dtype));
    if (states.length !== sizes.length) {
      throw new Error(`${this.name}: expected ${sizes.length} initial state tensor(s), got ${states.length}`);
    }
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== sizes[i]) {
        throw new Error(
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
        c0: form.kind === 'lstm' ? initial[1] : undefined,
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
}

interface StepResult {
  sequence: Tensor;
  last: Tensor;
  states: Tensor[];
}

/** The mask as rows of booleans, checked against the input's batch and time sizes. */
export function maskRows(layer: string, mask: Tensor, B: number, T: number): boolean[][] {
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new Error(`${layer}: mask should be [${B}, ${T}], got ${formatShape(mask.shape)}`);
  }
  const m = mask.dataSync();
  const rows = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => m[b * T + t] !== 0));
  rows.forEach((row, b) => {
    if (!row.some(Boolean)) throw new Error(`${layer}: mask row ${b} has no real step`);
  });
  return rows;
}

/**
 * Index plans for running a masked batch on the fused kernel: `compact` moves each row's real
 * steps to the front (keeping their order), `lengths` counts them, and `expand` maps every output
 * step (in Keras' order: processing order when going backwards) to the compacted output it shows,
 * the previous real one for a masked step, or the zero row B·T before any.
 */
export function maskPlan(mask: boolean[][], T: number, goBackwards: boolean, zeroOutput: boolean) {
  const B = mask.length;
  const compact: number[] = [];
  const expand: number[] = [];
  const lengths: number[] = [];
  const zeroRow = B * T;
  mask.forEach((row, b) => {
    const real = row.flatMap((on, t) => (on ? [t] : []));
    lengths.push(real.length);
    for (let j = 0; j < T; j++) compact.push(b * T + (real[j] ?? real[0]));
    const position = new Map(real.map((t, j) => [t, j]));
    let last = zeroRow;
    for (let s = 0; s < T; s++) {
      const t = goBackwards ? T - 1 - s : s;
      const j = position.get(t);
      if (j !== undefined) last = b * T + j;
      expand.push(j !== undefined ? b * T + j : zeroOutput ? zeroRow : last);
    }
  });
  return { compact, lengths, expand };
}
