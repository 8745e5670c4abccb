import {
  type BinaryOp,
  type CompareOp,
  checkElements,
  type DType,
  formatShape,
  promoteDTypes,
  ShapeError,
  tryBroadcastShapes,
  ValueError,
} from '@recur/backend-api';
import { expectTensor, runKernel, tidy } from '../engine';
import type { Tensor } from '../tensor';
import { cast, scalarLike } from './convert';

/** A tensor, or a number that takes the other operand's dtype (as a Python scalar does in PyTorch). */
export type TensorOrNumber = Tensor | number;

function checkBroadcast(op: string, ...shapes: (readonly number[])[]): void {
  let out: number[] | null = [];
  for (const s of shapes) {
    out = out && tryBroadcastShapes(out, s);
  }
  if (!out) throw new ShapeError(`${op}: shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`);
  checkElements(op, out);
}

/** Brings both operands to one dtype: numbers adopt the tensor's, tensors promote. */
function operands(op: string, a: TensorOrNumber, b: TensorOrNumber, floatResult = false): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ValueError(`${op}: at least one operand must be a tensor`);
  }
  if (typeof a !== 'number') expectTensor(op, 'input 0', a);
  if (typeof b !== 'number') expectTensor(op, 'input 1', b);
  let dtype: DType;
  if (typeof a === 'number') {
    const t = b as Tensor;
    dtype = Number.isInteger(a) || t.dtype === 'float32' || t.dtype === 'float64' ? t.dtype : 'float32';
  } else if (typeof b === 'number') {
    dtype = Number.isInteger(b) || a.dtype === 'float32' || a.dtype === 'float64' ? a.dtype : 'float32';
  } else {
    dtype = promoteDTypes(a.dtype, b.dtype);
  }
  if (dtype === 'bool') dtype = 'int32';
  if (floatResult && dtype === 'int32') dtype = 'float32';
  const like = typeof a === 'number' ? (b as Tensor) : a;
  const ta = typeof a === 'number' ? scalarLike(like, a, dtype) : a.dtype === dtype ? a : cast(a, dtype);
  const tb = typeof b === 'number' ? scalarLike(like, b, dtype) : b.dtype === dtype ? b : cast(b, dtype);
  checkBroadcast(op, ta.shape, tb.shape);
  return [ta, tb];
}

function binary(op: BinaryOp, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return tidy(() => {
    const [ta, tb] = operands(op, a, b, op === 'div' || op === 'pow');
    return runKernel(op, [ta, tb], {}, (backend, x, y) => backend.binary(op, x, y));
  });
}

/** Elementwise a + b with NumPy broadcasting. */
export const add = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('add', a, b);
/** Element-wise a − b with NumPy broadcasting. */
export const sub = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('sub', a, b);
/** Element-wise a · b with NumPy broadcasting. */
export const mul = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('mul', a, b);
/** True division: integer inputs give float32, as in PyTorch. */
export const div = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('div', a, b);
/** Element-wise aᵇ with NumPy broadcasting. */
export const pow = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('pow', a, b);
/** The larger of a and b, element-wise (NaN if either is NaN). */
export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('maximum', a, b);
/** The smaller of a and b, element-wise (NaN if either is NaN). */
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary('minimum', a, b);

/** x², element-wise. */
export const square = (x: Tensor): Tensor => mul(x, x);
/** 1 / x, element-wise. */
export const reciprocal = (x: Tensor): Tensor => div(1, x);

function compare(op: CompareOp, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return tidy(() => {
    const [ta, tb] = operands(op, a, b);
    return runKernel(op, [ta, tb], {}, (backend, x, y) => backend.compare(op, x, y));
  });
}

/** Elementwise comparisons; the result is a bool tensor. */
export const equal = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('equal', a, b);
/** a ≠ b, element-wise, as a bool tensor. */
export const notEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('notEqual', a, b);
/** a < b, element-wise, as a bool tensor. */
export const less = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('less', a, b);
/** a ≤ b, element-wise, as a bool tensor. */
export const lessEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('lessEqual', a, b);
/** a > b, element-wise, as a bool tensor. */
export const greater = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('greater', a, b);
/** a ≥ b, element-wise, as a bool tensor. */
export const greaterEqual = (a: TensorOrNumber, b: TensorOrNumber): Tensor => compare('greaterEqual', a, b);

/**
 * Elementwise `cond ? a : b` with broadcasting; cond is cast to bool.
 *
 * @example
 * ```ts
 * import { greater, tensor, where } from '@recur/tensor';
 * const x = tensor([-1, 2, -3, 4]);
 * console.log(Array.from(where(greater(x, 0), x, 0).dataSync())); // [0, 2, 0, 4]
 * ```
 */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return tidy(() => {
    const [ta, tb] = operands('where', a, b);
    const c = cond.dtype === 'bool' ? cond : cast(cond, 'bool');
    checkBroadcast('where', c.shape, ta.shape, tb.shape);
    return runKernel('where', [c, ta, tb], {}, (backend, x, y, z) => backend.where(x, y, z));
  });
}
