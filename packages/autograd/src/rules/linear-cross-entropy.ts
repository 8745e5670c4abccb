import { type LinearCrossEntropyAttrs, type LinearCrossEntropyInputs, runKernelMulti } from '@recur/tensor';
import type { GradRule } from './rule';

/** An input of the fused `linearCrossEntropy` kernel, by its name in LinearCrossEntropyInputs. */
type LinearCrossEntropySlot = keyof LinearCrossEntropyInputs;

/**
 * The backend's `linearCrossEntropyBackward` from the forward's workspace. The op
 * (`@recur/train`'s ops/linear-cross-entropy.ts) records which inputs it passed in `attrs.slots`
 * and the LinearCrossEntropyAttrs in `attrs.linearCrossEntropy`; one output, the loss of each
 * row; one saved tensor, the workspace. Targets get no gradient.
 */
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
