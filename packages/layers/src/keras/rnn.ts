import {
  cast,
  detach,
  dispose,
  formatShape,
  keep,
  mul,
  reshape,
  slice,
  stack,
  stridedSlice,
  sum,
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
   * bool or 0/1 [B, T]: true for real steps. Masked steps leave the state as it was and output
   * the previous output (Keras). Masks here must mark a prefix of each sequence (post-padding).
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
      const lengths = call.mask ? lengthsFromMask(this.name, call.mask, B, T) : null;
      this.cell.startSequence(B, training);
      try {
        const fusedForm = this.useFused ? this.cell.fusedForm(training) : null;
        const fusedOk = fusedForm && input.backend.fused?.recurrent;
        const r = fusedOk
          ? this.runFused(input, initial, lengths, training)
          : this.runSteps(input, initial, lengths, training);
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

  private runFused(input: Tensor, initial: Tensor[], lengths: number[] | null, training: boolean): StepResult {
    const form = this.cell.fusedForm(training);
    if (!form) throw new Error('unreachable');
    const dtype = initial[0].dtype;
    let x = input.dtype === dtype ? input : cast(input, dtype);
    const mask = (this.cell as { inputDropoutMask?: () => Tensor | null }).inputDropoutMask?.() ?? null;
    if (mask) x = mul(x, unsqueeze(mask, 1));
    const T = x.shape[1];
    const r = runRecurrent(
      x,
      form.weights,
      {
        h0: initial[0],
        c0: form.kind === 'lstm' ? initial[1] : undefined,
        seqLengths: lengths ? castLengths(lengths) : undefined,
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
    let sequence = r.y;
    if (lengths && !this.goBackwards) sequence = carryLastOutput(sequence, lengths);
    // Keras returns a backwards layer's outputs in processing order.
    if (this.goBackwards) sequence = stridedSlice(sequence, [T - 1], [-T - 1], [1], [-1]);
    // The last output is the final h: each sequence's state after its last real step.
    return { sequence, last: r.hN, states: r.cN ? [r.hN, r.cN] : [r.hN] };
  }

  private runSteps(input: Tensor, initial: Tensor[], lengths: number[] | null, training: boolean): StepResult {
    const [B, T] = input.shape;
    let states = initial;
    let prev: Tensor | null = null;
    const outputs: Tensor[] = [];
    for (let s = 0; s < T; s++) {
      const t = this.goBackwards ? T - 1 - s : s;
      const xt = reshape(slice(input, [0, t, 0], [B, 1, -1]), [B, -1]);
      let [out, next] = this.cell.call(xt, states, training);
      if (lengths) {
        const running = tensor(
          lengths.map((len) => (t < len ? 1 : 0)),
          { shape: [B, 1], dtype: 'bool' },
        );
        out = where(running, out, prev ?? zeros(out.shape, out.dtype));
        next = next.map((n, i) => where(running, n, states[i]));
      }
      outputs.push(out);
      prev = out;
      states = next;
    }
    const sequence = stack(outputs, 1);
    return { sequence, last: outputs[outputs.length - 1], states };
  }
}

interface StepResult {
  sequence: Tensor;
  last: Tensor;
  states: Tensor[];
}

function castLengths(lengths: number[]): Tensor {
  return tensor(lengths, { dtype: 'int32' });
}

/** Per-sequence lengths from a prefix mask; other masks are refused with the row that breaks the rule. */
export function lengthsFromMask(layer: string, mask: Tensor, B: number, T: number): number[] {
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new Error(`${layer}: mask should be [${B}, ${T}], got ${formatShape(mask.shape)}`);
  }
  const m = mask.dataSync();
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    let len = 0;
    while (len < T && m[b * T + len]) len++;
    for (let t = len; t < T; t++) {
      if (m[b * T + t]) {
        throw new Error(
          `${layer}: mask row ${b} has a real step at ${t} after padding at ${len}; only post-padded (prefix) masks are supported`,
        );
      }
    }
    if (len === 0) throw new Error(`${layer}: mask row ${b} has no real step`);
    lengths.push(len);
  }
  return lengths;
}

/** Keras outputs at masked steps repeat the last real output; the kernel writes zeros there. */
function carryLastOutput(y: Tensor, lengths: number[]): Tensor {
  const [B, T] = y.shape;
  if (lengths.every((l) => l === T)) return y;
  const last = outputAtEnd(y, lengths);
  const pad = tensor(
    lengths.flatMap((len) => Array.from({ length: T }, (_, t) => (t >= len ? 1 : 0))),
    { shape: [B, T, 1], dtype: y.dtype },
  );
  return where(cast(pad, 'bool'), unsqueeze(last, 1), y);
}

function outputAtEnd(y: Tensor, lengths: number[]): Tensor {
  const [B, T] = y.shape;
  const pick = tensor(
    lengths.flatMap((len) => Array.from({ length: T }, (_, t) => (t === len - 1 ? 1 : 0))),
    { shape: [B, T, 1], dtype: y.dtype },
  );
  return sum(mul(y, pick), 1);
}
