export type {
  Backend,
  BackendTensor,
  DType,
  RecurrentAttrs,
  RecurrentInputs,
  RecurrentOutputs,
  Shape,
  TypedArray,
} from '@recur/backend-api';
export {
  ConfigError,
  checkBytes,
  checkElements,
  DTypeError,
  FormatError,
  type FormatLocation,
  formatShape,
  getLimits,
  LimitError,
  type Limits,
  own,
  RecurError,
  ShapeError,
  setLimits,
  shapesEqual,
  sizeOf,
  tryBroadcastShapes,
  UnsupportedError,
  ValueError,
} from '@recur/backend-api';
export {
  arange,
  full,
  fullLike,
  type InputDType,
  narrowInt64,
  ones,
  onesLike,
  scalar,
  type TensorOptions,
  tensor,
  toBackend,
  zeros,
  zerosLike,
} from './create';
export {
  currentRecorder,
  dispose,
  getBackend,
  keep,
  listBackends,
  numTensors,
  type OpRecorder,
  type RecordedOp,
  registerBackend,
  runKernel,
  runKernelMulti,
  setBackend,
  tidy,
  withRecorder,
} from './engine';
export {
  add,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  notEqual,
  pow,
  reciprocal,
  square,
  sub,
  type TensorOrNumber,
  where,
} from './ops/binary';
export { cast, clone, detach, scalarLike } from './ops/convert';
export { gather, oneHot, scatterAdd } from './ops/gather';
export { type MatMulOptions, matMul } from './ops/mat-mul';
export { argMax, argMin, logSumExp, max, mean, min, type ReduceOptions, resolveAxes, sum } from './ops/reduce';
export { broadcastTo, flatten, reshape, resolveAxis, squeeze, swapAxes, transpose, unsqueeze } from './ops/shape-ops';
export { concat, pad, slice, split, stack, stridedSlice } from './ops/slice';
export { logSoftmax, softmax } from './ops/softmax';
export {
  abs,
  ceil,
  cos,
  exp,
  floor,
  log,
  logicalNot,
  neg,
  relu,
  round,
  sigmoid,
  sign,
  sin,
  softplus,
  sqrt,
  tanh,
} from './ops/unary';
export { defaultRng, manualSeed, type RandomOptions, Rng, randomNormal, randomUniform } from './random';
export { type NestedArray, Tensor } from './tensor';
