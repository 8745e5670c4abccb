import { type RecurrentAttrs, type RecurrentInputs, runKernelMulti } from '@recur/tensor';
import type { GradRule } from './rule';

/** An input of the fused `recurrent` kernel, by its name in RecurrentInputs. */
type RecurrentSlot = keyof RecurrentInputs;

/**
 * Backpropagation through time for the fused kernel: the backend's `recurrentBackward` from the
 * forward's workspace, one call for the whole sequence. The op (`@recur/layers`' ops/recurrent.ts)
 * records which inputs it passed in `attrs.slots` and the kernel's RecurrentAttrs in
 * `attrs.recurrent`; outputs are y, hN, (cN for an LSTM), and one saved tensor, the workspace.
 * Sequence lengths get no gradient.
 */
export const recurrentRule: GradRule = (op, dys) => {
  const slots = op.attrs.slots as RecurrentSlot[];
  const attrs = op.attrs.recurrent as RecurrentAttrs;
  const inputs = Object.fromEntries(slots.map((s, i) => [s, op.inputs[i].storage])) as unknown as RecurrentInputs;
  const lstm = attrs.kind === 'lstm';
  const outputs = {
    y: op.outputs[0].storage,
    hN: op.outputs[1].storage,
    cN: lstm ? op.outputs[2].storage : undefined,
    workspace: op.saved[0].storage,
  };
  const upstream = lstm ? [dys[0], dys[1], dys[2]] : [dys[0], dys[1]];
  const grads = runKernelMulti('recurrentBackward', upstream, {}, (backend, dy, dhN, dcN) => {
    const fused = backend.fused?.recurrentBackward;
    if (!fused) throw new Error(`recurrent: backend '${backend.name}' has the forward kernel but no recurrentBackward`);
    const g = fused(inputs, attrs, outputs, dy, dhN, dcN);
    const bySlot = { x: g.dx, wIh: g.dWIh, wHh: g.dWHh, h0: g.dh0, c0: g.dc0, bIh: g.dBIh, bHh: g.dBHh, wHr: g.dWHr };
    return slots
      .filter((s) => s !== 'seqLengths')
      .map((s) => bySlot[s as keyof typeof bySlot] as NonNullable<typeof g.dx>);
  });
  let k = 0;
  return slots.map((s) => (s === 'seqLengths' ? null : grads[k++]));
};
