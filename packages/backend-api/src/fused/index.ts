import type { AdamKernels } from './adam';
import type { LinearCrossEntropyKernels } from './linear-cross-entropy';
import type { RecurrentKernels } from './recurrent';

export * from './adam';
export * from './linear-cross-entropy';
export * from './recurrent';

/**
 * The optional tier of fused kernels, one interface per op (each in its own file with the op's
 * types). A backend may implement any subset; each op looks its kernel up at call time and falls
 * back to its composed form when it is absent.
 */
export interface FusedKernels extends RecurrentKernels, LinearCrossEntropyKernels, AdamKernels {}

/** The names of every fused kernel a backend may offer in `Backend.fused`. */
export const FUSED_KERNEL_NAMES = [
  'recurrent',
  'recurrentBackward',
  'linearCrossEntropy',
  'linearCrossEntropyBackward',
  'adamStep',
  'adamSteps',
] as const;
