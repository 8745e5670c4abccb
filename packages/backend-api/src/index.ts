export type { DType, TypedArray, TypedArrayFor } from './dtype';
export { DTYPES, allocTypedArray, dtypeOfTypedArray, isFloatDType, promoteDTypes } from './dtype';
export type { Shape } from './shape';
export {
  broadcastStrides,
  formatShape,
  normalizeAxis,
  shapesEqual,
  sizeOf,
  stridesOf,
  tryBroadcastShapes,
} from './shape';
export type {
  ArgReduceOp,
  Backend,
  BackendTensor,
  BinaryOp,
  CompareOp,
  ReduceOp,
  UnaryOp,
} from './backend';
export { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from './backend';
export type { FusedKernels } from './fused';
export { FUSED_KERNEL_NAMES } from './fused';
