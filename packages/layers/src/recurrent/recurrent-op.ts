import { registerGradRule } from '@recur/autograd';
import type { RecurrentAttrs, RecurrentInputs, RecurrentOutputs } from '@recur/backend-api';
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

const SLOTS = ['x', 'wIh', 'wHh', 'h0', 'c0', 'bIh', 'bHh', 'wHr', 'seqLengths'] as const;
type Slot = (typeof SLOTS)[number];

let ruleRegistered = false;

/** The fused kernel's gradient rule, registered the first time the kernel runs (never on import). */
function ensureGradRule(): void {
  if (ruleRegistered) return;
  ruleRegistered = true;
  registerGradRule('recurrent', (op, dys) => {
    const slots = op.attrs.slots as Slot[];
    const attrs = op.attrs.recurrent as RecurrentAttrs;
    const byName = new Map(slots.map((s, i) => [s, op.inputs[i]]));
    const storage = (s: Slot) => byName.get(s)?.storage;
    const inputs = {
      x: storage('x'),
      wIh: storage('wIh'),
      wHh: storage('wHh'),
      h0: storage('h0'),
      c0: storage('c0'),
      bIh: storage('bIh'),
      bHh: storage('bHh'),
      wHr: storage('wHr'),
      seqLengths: storage('seqLengths'),
    } as RecurrentInputs;
    const lstm = attrs.kind === 'lstm';
    const outputs = {
      y: op.outputs[0].storage,
      hN: op.outputs[1].storage,
      cN: lstm ? op.outputs[2].storage : undefined,
      workspace: op.outputs[lstm ? 3 : 2].storage,
    } as RecurrentOutputs;
    const upstream = [dys[0], dys[1], ...(lstm ? [dys[2]] : [])];
    const grads = runKernelMulti('recurrentBackward', upstream, {}, (backend, dy, dhN, dcN) => {
      const fused = backend.fused?.recurrentBackward;
      if (!fused)
        throw new Error(`recurrent: backend '${backend.name}' has the forward kernel but no recurrentBackward`);
      const g = fused(inputs, attrs, outputs, dy, dhN, dcN);
      const order = { x: g.dx, wIh: g.dWIh, wHh: g.dWHh, h0: g.dh0, c0: g.dc0, bIh: g.dBIh, bHh: g.dBHh, wHr: g.dWHr };
      return slots
        .filter((s) => s !== 'seqLengths')
        .map((s) => order[s as keyof typeof order] as NonNullable<typeof g.dx>);
    });
    let k = 0;
    return slots.map((s) => (s === 'seqLengths' ? null : grads[k++]));
  });
}

/**
 * One recurrent layer in one direction over a whole batch-first sequence. Runs the backend's
 * fused kernel when it has one (and `fused` is not false), else the composed per-step path;
 * both are differentiable and agree to float rounding.
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
  const usable =
    fused?.recurrent &&
    (fused.supportsRecurrent?.(kernelAttrs) ?? true) &&
    (!kernelAttrs.saveForBackward || fused.recurrentBackward);
  if (options.fused === false || !usable || !fused?.recurrent) {
    return composedRecurrent(x, weights, state, attrs);
  }
  ensureGradRule();
  const named: Partial<Record<Slot, Tensor>> = { x, ...weights, ...state };
  const slots = SLOTS.filter((s) => named[s] !== undefined);
  const inputs = slots.map((s) => named[s] as Tensor);
  const lstm = attrs.kind === 'lstm';
  const kernel = fused.recurrent;
  const outs = runKernelMulti('recurrent', inputs, { slots, recurrent: kernelAttrs }, (_backend, ...storage) => {
    const byName = Object.fromEntries(slots.map((s, i) => [s, storage[i]])) as unknown as RecurrentInputs;
    const r = kernel(byName, kernelAttrs);
    return lstm ? [r.y, r.hN, r.cN as NonNullable<typeof r.cN>, r.workspace] : [r.y, r.hN, r.workspace];
  });
  // The workspace is only for backward; the tape holds it while a gradient is being taken.
  const workspace = outs[outs.length - 1];
  if (!isHeld(workspace)) workspace.dispose();
  return { y: outs[0], hN: outs[1], cN: lstm ? outs[2] : undefined };
}

function isHeld(t: Tensor): boolean {
  return currentRecorder()?.holds(t) ?? false;
}
