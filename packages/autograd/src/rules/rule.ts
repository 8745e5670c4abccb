import type { RecordedOp, Tensor } from '@recur/tensor';

/**
 * A gradient rule: given the recorded op and the gradient of each of its outputs, returns the
 * gradient of each input (null where an input is not differentiable, such as indices).
 */
export type GradRule = (op: RecordedOp, dys: readonly Tensor[]) => (Tensor | null)[];
