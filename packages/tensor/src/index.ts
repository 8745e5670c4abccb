export type { Backend, BackendTensor, DType, Shape, TypedArray } from '@recur/backend-api';
export { formatShape, shapesEqual, sizeOf } from '@recur/backend-api';
export { Tensor, type NestedArray } from './tensor';
export {
  type OpRecorder,
  type RecordedOp,
  currentRecorder,
  dispose,
  getBackend,
  keep,
  listBackends,
  numTensors,
  registerBackend,
  runKernel,
  runKernelMulti,
  setBackend,
  tidy,
  withRecorder,
} from './engine';
export {
  type InputDType,
  type TensorOptions,
  arange,
  full,
  fullLike,
  narrowInt64,
  ones,
  onesLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
} from './create';
export { type RandomOptions, Rng, defaultRng, manualSeed, randomNormal, randomUniform } from './random';
export { cast, clone, detach, scalarLike } from './ops/convert';
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
export {
  type TensorOrNumber,
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
  where,
} from './ops/binary';
export { type ReduceOptions, argMax, argMin, logSumExp, max, mean, min, resolveAxes, sum } from './ops/reduce';
export { type MatMulOptions, matMul } from './ops/mat-mul';
export { broadcastTo, flatten, reshape, resolveAxis, squeeze, swapAxes, transpose, unsqueeze } from './ops/shape-ops';
export { concat, pad, slice, split, stack, stridedSlice } from './ops/slice';
export { gather, oneHot, scatterAdd } from './ops/gather';
export { logSoftmax, softmax } from './ops/softmax';
