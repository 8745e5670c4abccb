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
export type { DType, TypedArray, TypedArrayFor } from './dtype';
export { allocTypedArray, DTYPES, dtypeOfTypedArray, isFloatDType, promoteDTypes } from './dtype';
export {
  ConfigError,
  DTypeError,
  FormatError,
  type FormatLocation,
  LimitError,
  RecurError,
  ShapeError,
  UnsupportedError,
  ValueError,
} from './errors';
export type {
  ActivationName,
  AdamAttrs,
  AdamStepResult,
  FusedKernels,
  LinearCrossEntropyAttrs,
  LinearCrossEntropyInputs,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentKind,
  RecurrentOutputs,
} from './fused/index';
export { ACTIVATION_NAMES, FUSED_KERNEL_NAMES, GATE_COUNT } from './fused/index';
export { checkBytes, checkElements, getLimits, type Limits, setLimits } from './limits';
export { own } from './own';
export type { Shape } from './shape';
export {
  broadcastShapes,
  broadcastStrides,
  formatShape,
  normalizeAxis,
  shapesEqual,
  sizeOf,
  stridesOf,
  tryBroadcastShapes,
} from './shape';
