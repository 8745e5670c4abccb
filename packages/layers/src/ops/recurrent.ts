import type { ActivationName, RecurrentAttrs, RecurrentInputs } from '@recur/backend-api';
import {
  cast,
  currentRecorder,
  gather,
  greater,
  matMul,
  mul,
  add as plus,
  reshape,
  runKernelMulti,
  slice,
  stack,
  type Tensor,
  tensor,
  tidy,
  unsqueeze,
  where,
} from '@recur/tensor';
import { activation } from '../activations';
import { type CellSpec, type CellWeights, cellSpec } from '../cells/index';

/*
 * The recurrent op: one recurrent layer in one direction over a whole batch-first sequence. Its
 * kernel's signature is backend-api's `fused/recurrent.ts`; its gradient rule is autograd's
 * `rules/recurrent.ts`, which reads the slots this op records. Here: the slots, the dispatch to
 * the backend's fused kernel, and the composed fallback every other backend (and every cell kind
 * without a kernel) runs.
 */

/** The kernel's inputs, in this order; a call passes the ones it has and names them in `attrs.slots`. */
export const RECURRENT_SLOTS = ['x', 'wIh', 'wHh', 'h0', 'c0', 'bIh', 'bHh', 'wHr', 'seqLengths'] as const;
/** One of the kernel's input names. */
export type RecurrentSlot = (typeof RECURRENT_SLOTS)[number];

/** Weights of one recurrent layer in one direction, PyTorch layout (see RecurrentInputs). */
export type RecurrentWeights = CellWeights;

/** Where a recurrent layer starts: its initial states, and each sequence's length. */
export interface RecurrentState {
  /** The initial hidden state, [B, Hout]. */
  h0: Tensor;
  /** The second state (an LSTM's c). */
  c0?: Tensor;
  /** int32 [B], each in 1..T. */
  seqLengths?: Tensor;
}

/** What one recurrent layer in one direction returns. */
export interface RecurrentResult {
  /** Every step's output, [B, T, Hout]. */
  y: Tensor;
  /** The last hidden state (each sequence's last real step with lengths), [B, Hout]. */
  hN: Tensor;
  /** The second state at the end (an LSTM's c). */
  cN?: Tensor;
}

/**
 * The op's attributes: the kernel's (RecurrentAttrs), with the cell kind as a name ('lstm') or a
 * spec (a kind with no kernel runs its composed step).
 */
export type RecurrentOpAttrs = Omit<RecurrentAttrs, 'kind' | 'activations'> & {
  /** The cell kind, by name or spec. */
  kind: string | CellSpec;
  /** The activations by name, in the cell's order (a name the kernel lacks takes the composed step). */
  activations: readonly (ActivationName | string)[];
};

/** The kernel's attributes for these op attributes, or null when the cell kind has no fused kernel. */
function kernelAttrs(attrs: RecurrentOpAttrs): RecurrentAttrs | null {
  const spec = cellSpec(attrs.kind);
  if (!spec.fused) return null;
  return {
    ...attrs,
    kind: spec.fused,
    activations: attrs.activations as ActivationName[],
    saveForBackward: currentRecorder() !== null,
  };
}

/** Whether `runRecurrent` would run the backend's fused kernel for these attributes on x's backend. */
export function fusedRecurrentUsable(x: Tensor, attrs: RecurrentOpAttrs, options: { fused?: boolean } = {}): boolean {
  const fused = x.backend.fused;
  const k = kernelAttrs(attrs);
  return (
    k !== null &&
    options.fused !== false &&
    !!fused?.recurrent &&
    (fused.supportsRecurrent?.(k) ?? true) &&
    (!k.saveForBackward || !!fused.recurrentBackward)
  );
}

/**
 * One recurrent layer in one direction over a whole batch-first sequence. Runs the backend's
 * fused kernel when it has one for the cell kind (and `fused` is not false), else the composed
 * per-step path; both are differentiable and agree to float rounding. With `attrs.packedInput`,
 * x and y are PyTorch-packed rows (see RecurrentAttrs): only for a kernel that takes them
 * (`fusedRecurrentUsable`); a PackedSequence is otherwise unpacked around this call.
 */
export function runRecurrent(
  x: Tensor,
  weights: RecurrentWeights,
  state: RecurrentState,
  attrs: RecurrentOpAttrs,
  options: { fused?: boolean } = {},
): RecurrentResult {
  const k = kernelAttrs(attrs);
  const kernel = x.backend.fused?.recurrent;
  if (!k || !kernel || !fusedRecurrentUsable(x, attrs, options)) {
    if (attrs.packedInput) throw new Error(`runRecurrent: backend '${x.backend.name}' has no kernel for packed input`);
    return composedRecurrent(x, weights, state, attrs);
  }
  const named: Partial<Record<RecurrentSlot, Tensor>> = { x, ...weights, ...state };
  const slots = RECURRENT_SLOTS.filter((s) => named[s] !== undefined);
  const inputs = slots.map((s) => named[s] as Tensor);
  const lstm = k.kind === 'lstm';
  const outs = runKernelMulti(
    'recurrent',
    inputs,
    { slots, recurrent: k },
    (_backend, ...storage) => {
      const byName = Object.fromEntries(slots.map((s, i) => [s, storage[i]])) as unknown as RecurrentInputs;
      const r = kernel(byName, k);
      return lstm ? [r.y, r.hN, r.cN as NonNullable<typeof r.cN>, r.workspace] : [r.y, r.hN, r.workspace];
    },
    1,
  );
  // The workspace is only for backward; the tape holds it while a gradient is being taken.
  const workspace = outs[outs.length - 1];
  if (!currentRecorder()?.holds(workspace)) workspace.dispose();
  return { y: outs[0], hN: outs[1], cN: lstm ? outs[2] : undefined };
}

/**
 * The recurrent layer written from primitives, one step of the cell's `step` at a time: the
 * fallback for backends without the fused kernel and for cell kinds without one, and the
 * reference the fused kernel is tested against. Autograd differentiates it like any other
 * composition.
 */
export function composedRecurrent(
  x: Tensor,
  weights: RecurrentWeights,
  state: RecurrentState,
  attrs: RecurrentOpAttrs,
): RecurrentResult {
  const spec = cellSpec(attrs.kind);
  return tidy(() => {
    const [B, T] = x.shape;
    const acts = attrs.activations.map((a) => activation(a));
    const options = { activations: acts, linearBeforeReset: attrs.linearBeforeReset };
    const lengths = state.seqLengths ? Array.from(state.seqLengths.dataSync()) : null;

    // Input projection for every step: [B, T, G·H].
    let xw = matMul(x, weights.wIh, { transposeB: true });
    if (weights.bIh) xw = plus(xw, weights.bIh);
    const xwFlat = reshape(xw, [B * T, -1]);

    let states = spec.states.length === 2 ? [state.h0, state.c0 as Tensor] : [state.h0];
    const ys: Tensor[] = [];
    for (let s = 0; s < T; s++) {
      // Which time step each sequence reads now, and whether it is still running.
      let xt: Tensor;
      let running: Tensor | null = null;
      if (lengths) {
        const rows = lengths.map((len, b) => b * T + Math.min(attrs.reverse ? Math.max(len - 1 - s, 0) : s, T - 1));
        xt = gather(xwFlat, tensor(rows, { dtype: 'int32' }), 0);
        running = unsqueeze(greater(tensor(lengths, { dtype: 'int32' }), s), 1);
      } else {
        const t = attrs.reverse ? T - 1 - s : s;
        xt = reshape(slice(xw, [0, t, 0], [B, 1, -1]), [B, -1]);
      }
      const next = spec.step(xt, states, weights, options);
      if (running) {
        const cond = running;
        ys.push(where(cond, next[0], 0));
        states = next.map((n, i) => where(cond, n, states[i]));
      } else {
        ys.push(next[0]);
        states = next;
      }
    }

    let y: Tensor;
    if (!lengths) {
      y = stack(attrs.reverse ? ys.reverse() : ys, 1);
    } else {
      // ys[s] holds step s of each sequence; put it back at time position t (zeros past the end).
      const steps = reshape(stack(ys, 1), [B * T, -1]);
      const index: number[] = [];
      const valid: number[] = [];
      lengths.forEach((len, b) => {
        for (let t = 0; t < T; t++) {
          const s = attrs.reverse ? len - 1 - t : t;
          index.push(b * T + (t < len ? s : 0));
          valid.push(t < len ? 1 : 0);
        }
      });
      const picked = gather(steps, tensor(index, { dtype: 'int32' }), 0);
      y = reshape(mul(picked, cast(reshape(tensor(valid), [B * T, 1]), x.dtype)), [B, T, -1]);
    }
    return { y, hN: states[0], cN: states[1] };
  });
}
