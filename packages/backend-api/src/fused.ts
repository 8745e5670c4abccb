/**
 * The optional tier of fused kernels. Each is looked up by name at call time, so a backend can
 * implement any subset; the layers fall back to composed primitives otherwise. The recurrent
 * kernels are added by @recur/layers' issue; the registry of names lives here so every backend
 * and the support table agree on them.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the fused-kernel declarations below as they land
export interface FusedKernels {}

export const FUSED_KERNEL_NAMES: readonly string[] = [];
