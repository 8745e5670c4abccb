import { type LinearCrossEntropyAttrs, type LinearCrossEntropyInputs, runKernelMulti } from '@recur/tensor';
import type { GradRule } from './rule';

/**
 * The inputs of the fused `linearCrossEntropy` kernel, in this order; a call passes the ones it
 * has and names them in `attrs.slots`, with the LinearCrossEntropyAttrs in
 * `attrs.linearCrossEntropy`. One output, the loss of each row; one saved tensor, the workspace.
 */
export const LINEAR_CROSS_ENTROPY_SLOTS = ['x', 'weight', 'bias', 'targets'] as const;
export type LinearCrossEntropySlot = (typeof LINEAR_CROSS_ENTROPY_SLOTS)[number];

/** The backend's `linearCrossEntropyBackward` from the forward's workspace; targets get no gradient. */
export const linearCrossEntropyRule: GradRule = (op, [dLoss]) => {
  const slots = op.attrs.slots as LinearCrossEntropySlot[];
  const attrs = op.attrs.linearCrossEntropy as LinearCrossEntropyAttrs;
  const inputs = Object.fromEntries(
    slots.map((s, i) => [s, op.inputs[i].storage]),
  ) as unknown as LinearCrossEntropyInputs;
  const workspace = op.saved[0].storage;
  const grads = runKernelMulti('linearCrossEntropyBackward', [dLoss], {}, (backend, dl) => {
    const fused = backend.fused?.linearCrossEntropyBackward;
    if (!fused) throw new Error(`linearCrossEntropy: backend '${backend.name}' has no linearCrossEntropyBackward`);
    const g = fused(inputs, attrs, workspace, dl);
    return g.dBias ? [g.dx, g.dWeight, g.dBias] : [g.dx, g.dWeight];
  });
  const bySlot = { x: grads[0], weight: grads[1], bias: grads[2] ?? null, targets: null };
  return slots.map((s) => bySlot[s]);
};
