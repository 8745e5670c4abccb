import type { DType, TypedArray } from './dtype';
import type { FusedKernels } from './fused/index';
import type { Shape } from './shape';

/**
 * What a backend holds for one tensor. The front end always knows `shape` and `dtype`; `data` is
 * the backend's own (a typed array on backend-js, a tf.Tensor on backend-tfjs) and is only ever
 * handed back to the backend that made it.
 */
export interface BackendTensor {
  /** Its dimensions. */
  readonly shape: Shape;
  /** Its element type. */
  readonly dtype: DType;
  /** The backend's own storage (a typed array on backend-js, a tfjs tensor on backend-tfjs). */
  readonly data: unknown;
}

/** The element-wise functions of one tensor a backend implements (`Backend.unary`). */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'softplus'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'sin'
  | 'cos'
  | 'logicalNot';

/** Every `UnaryOp`, for suites that run each one. */
export const UNARY_OPS: readonly UnaryOp[] = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'tanh',
  'sigmoid',
  'relu',
  'softplus',
  'sign',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'logicalNot',
];

/** Arithmetic on two tensors of one dtype with NumPy broadcasting. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
/** Every `BinaryOp`, for suites that run each one. */
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];

/** Comparisons broadcast like binary ops and return `bool`. */
export type CompareOp = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';
/** Every `CompareOp`, for suites that run each one. */
export const COMPARE_OPS: readonly CompareOp[] = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'];

/** The reductions `Backend.reduce` implements. */
export type ReduceOp = 'sum' | 'max' | 'min';
/** The index reductions `Backend.argReduce` implements. */
export type ArgReduceOp = 'argMax' | 'argMin';

/**
 * The primitives every backend implements. Inputs are already validated by the front end
 * (`@recur/tensor`): shapes broadcast, axes are normalised and sorted, dtypes agree. Every method
 * returns a new BackendTensor the caller owns (a backend may share storage internally).
 */
export interface Backend {
  /** The name the registry knows it by ('js', 'tfjs', 'ort'). */
  readonly name: string;

  /** Uploads values; the backend may keep the array, so the caller must not mutate it afterwards. */
  fromValues(values: TypedArray, shape: Shape, dtype: DType): BackendTensor;
  /** A tensor of `shape` with every element `value`. */
  fill(shape: Shape, value: number, dtype: DType): BackendTensor;
  /**
   * The values as a row-major typed array of the tensor's dtype (a copy or a read-only view). A
   * backend that cannot read synchronously (WebGPU, TensorFlow.js on WebGL / WebGPU) leaves it out
   * and implements `readAsync`; `tensor.dataSync()` then says to `await tensor.data()`.
   */
  read?(x: BackendTensor): TypedArray;
  /** The values, asynchronously: what `tensor.data()` awaits where the backend has it (else `read`). */
  readAsync?(x: BackendTensor): Promise<TypedArray>;
  /**
   * Starts the backend (a device, compiled kernels, another library's own start-up). The registry
   * awaits it once, before the backend's first use (`ready()`); absent means nothing to wait for.
   */
  init?(): Promise<void>;
  /** Frees the tensor's storage; the front end calls it once per tensor. */
  dispose(x: BackendTensor): void;

  /** `op` applied to each element (float dtypes; `neg`, `abs`, `sign` also int32). */
  unary(op: UnaryOp, x: BackendTensor): BackendTensor;
  /** `op` of `a` and `b` element by element; the shapes broadcast and the dtypes agree. */
  binary(op: BinaryOp, a: BackendTensor, b: BackendTensor): BackendTensor;
  /** `op` of `a` and `b` element by element, as a bool tensor; the shapes broadcast. */
  compare(op: CompareOp, a: BackendTensor, b: BackendTensor): BackendTensor;
  /** `cond` is bool; `a` and `b` share a dtype; all three broadcast. */
  where(cond: BackendTensor, a: BackendTensor, b: BackendTensor): BackendTensor;
  /** The values converted to `dtype` (floats to int32 truncate toward zero, as tfjs and PyTorch). */
  cast(x: BackendTensor, dtype: DType): BackendTensor;

  /** Reduces over `axes` (sorted, distinct, non-empty) and drops them from the shape. */
  reduce(op: ReduceOp, x: BackendTensor, axes: readonly number[]): BackendTensor;
  /** Index of the max/min along `axis`, which is dropped; int32. First index wins ties. */
  argReduce(op: ArgReduceOp, x: BackendTensor, axis: number): BackendTensor;

  /**
   * Batched matrix product: a [...batchA, M, K] (or [..., K, M] with transposeA), b [...batchB, K, N]
   * (or [..., N, K]); batch dimensions broadcast; rank ≥ 2 for both.
   */
  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): BackendTensor;

  /** The same values with another shape of the same size (row-major order kept). */
  reshape(x: BackendTensor, shape: Shape): BackendTensor;
  /** Axes permuted: output axis i is input axis `perm[i]`. */
  transpose(x: BackendTensor, perm: readonly number[]): BackendTensor;
  /** `x` repeated along its size-1 (and missing leading) axes to `shape`. */
  broadcastTo(x: BackendTensor, shape: Shape): BackendTensor;
  /** Strided slice: for each axis, `begin + i * step` for i < size; steps are non-zero. */
  slice(x: BackendTensor, begin: readonly number[], size: readonly number[], step: readonly number[]): BackendTensor;
  /** The tensors joined along `axis`; every other axis agrees. */
  concat(xs: readonly BackendTensor[], axis: number): BackendTensor;
  /** Constant padding; `paddings[i] = [before, after]`, both ≥ 0. */
  pad(x: BackendTensor, paddings: readonly (readonly [number, number])[], value: number): BackendTensor;
  /** out[..., j, ...] = x[..., indices[j], ...] along `axis`; indices int32, any shape, in range. */
  gather(x: BackendTensor, indices: BackendTensor, axis: number): BackendTensor;
  /**
   * The transpose of gather: a zero tensor of `shape` with `updates` added at `indices` along `axis`
   * (repeated indices accumulate).
   */
  scatterAdd(shape: Shape, indices: BackendTensor, updates: BackendTensor, axis: number): BackendTensor;

  /** Optional fused kernels; layers fall back to composed primitives when one is absent. */
  readonly fused?: Partial<FusedKernels>;
}
