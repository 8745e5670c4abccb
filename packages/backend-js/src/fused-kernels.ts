import type { FusedKernels } from '@recur/backend-api';
import { linearCrossEntropyKernels } from './fused/linear-cross-entropy';
import { recurrentKernels } from './fused/recurrent';
import { adamStep, adamSteps } from './kernels/adam';

/**
 * backend-js's fused kernels: the whole-sequence recurrent kernels (forward and BPTT), Linear +
 * softmax cross-entropy (forward and backward), and Adam's update in one pass — each on the
 * WebAssembly SIMD kernels for the float32 cases they cover when `useWasm` and the engine allow,
 * else in TypeScript.
 */
export function createFusedKernels(useWasm: boolean, threads = 1): FusedKernels {
  return {
    ...recurrentKernels(useWasm, threads),
    ...linearCrossEntropyKernels(useWasm, threads),
    adamStep,
    adamSteps,
  };
}
