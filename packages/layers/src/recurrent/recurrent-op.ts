import { RECURRENT_SLOTS, type RecurrentSlot } from '@recur/autograd';
import type { RecurrentAttrs, RecurrentInputs } from '@recur/backend-api';
import { currentRecorder, runKernelMulti, type Tensor } from '@recur/tensor';
import { composedRecurrent } from './composed';

/** Weights of one recurrent layer in one direction, PyTorch layout (see RecurrentInputs). */
export interface RecurrentWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh?: Tensor;
  bHh?: Tensor;
  wHr?: Tensor;
}

export interface RecurrentState {
  h0: Tensor;
  c0?: Tensor;
  /** int32 [B], each in 1..T. */
  seqLengths?: Tensor;
}

export interface RecurrentResult {
  y: Tensor;
  hN: Tensor;
  cN?: Tensor;
}

/** Whether `runRecurrent` would run the backend's fused kernel for these attributes on x's backend. */
export function fusedRecurrentUsable(x: Tensor, attrs: RecurrentAttrs, options: { fused?: boolean } = {}): boolean {
  const fused = x.backend.fused;
  const kernelAttrs = { ...attrs, saveForBackward: currentRecorder() !== null };
  return (
    options.fused !== false &&
    !!fused?.recurrent &&
    (fused.supportsRecurrent?.(kernelAttrs) ?? true) &&
    (!kernelAttrs.saveForBackward || !!fused.recurrentBackward)
  );
}

/**
 * One recurrent layer in one direction over a whole batch-first sequence. Runs the backend's
 * fused kernel when it has one (and `fused` is not false), else the composed per-step path;
 * both are differentiable and agree to float rounding. With `attrs.packedInput`, x and y are
 * PyTorch-packed rows (see RecurrentAttrs): only for a kernel that takes them
 * (`fusedRecurrentUsable`); a PackedSequence is otherwise unpacked around this call.
 */
export function runRecurrent(
  x: Tensor,
  weights: RecurrentWeights,
  state: RecurrentState,
  attrs: RecurrentAttrs,
  options: { fused?: boolean } = {},
): RecurrentResult {
  const fused = x.backend.fused;
  // Only a gradient being taken needs the workspace; inference skips writing it.
  const kernelAttrs = { ...attrs, saveForBackward: currentRecorder() !== null };
  if (!fusedRecurrentUsable(x, attrs, options) || !fused?.recurrent) {
    if (attrs.packedInput) throw new Error(`runRecurrent: backend '${x.backend.name}' has no kernel for packed input`);
    return composedRecurrent(x, weights, state, attrs);
  }
  const named: Partial<Record<RecurrentSlot, Tensor>> = { x, ...weights, ...state };
  const slots = RECURRENT_SLOTS.filter((s) => named[s] !== undefined);
  const inputs = slots.map((s) => named[s] as Tensor);
  const lstm = attrs.kind === 'lstm';
  const kernel = fused.recurrent;
  // The gradient rule (autograd's rules/recurrent.ts) reads the slots and the saved workspace.
  const outs = runKernelMulti(
    'recurrent',
    inputs,
    { slots, recurrent: kernelAttrs },
    (_backend, ...storage) => {
      const byName = Object.fromEntries(slots.map((s, i) => [s, storage[i]])) as unknown as RecurrentInputs;
      const r = kernel(byName, kernelAttrs);
      return lstm ? [r.y, r.hN, r.cN as NonNullable<typeof r.cN>, r.workspace] : [r.y, r.hN, r.workspace];
    },
    1,
  );
  // The workspace is only for backward; the tape holds it while a gradient is being taken.
  const workspace = outs[outs.length - 1];
  if (!isHeld(workspace)) workspace.dispose();
  return { y: outs[0], hN: outs[1], cN: lstm ? outs[2] : undefined };
}

function isHeld(t: Tensor): boolean {
  return currentRecorder()?.holds(t) ?? false;
}
