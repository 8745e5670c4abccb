import type { UnaryOp } from '@recur/backend-api';
import { runKernel, tidy } from '../engine';
import type { Tensor } from '../tensor';
import { cast } from './convert';

/** Ops that are only defined on floats: an int or bool input is promoted to float32, as in PyTorch. */
const FLOAT_ONLY = new Set<UnaryOp>(['exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'softplus', 'sin', 'cos']);

function unary(op: UnaryOp, x: Tensor): Tensor {
  return tidy(() => unaryOn(op, x));
}

function unaryOn(op: UnaryOp, x: Tensor): Tensor {
  if (op === 'logicalNot') {
    const b = x.dtype === 'bool' ? x : cast(x, 'bool');
    return runKernel(op, [b], {}, (backend, s) => backend.unary(op, s));
  }
  if (x.dtype === 'bool' || (FLOAT_ONLY.has(op) && x.dtype === 'int32')) {
    x = cast(x, op === 'neg' || op === 'abs' || op === 'sign' ? 'int32' : 'float32');
  }
  return runKernel(op, [x], {}, (backend, s) => backend.unary(op, s));
}

/** −x, element-wise. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** |x|, element-wise. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** eˣ, element-wise (int and bool inputs become float32). */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm, element-wise (−∞ at 0, NaN below). */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Square root, element-wise. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** Hyperbolic tangent, element-wise. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** 1 / (1 + e⁻ˣ), element-wise. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** max(x, 0), element-wise. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** log(1 + e^x), linear above 20 as in PyTorch. */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
/** −1, 0 or 1 by the sign of each element. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Rounds each element down. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Rounds each element up. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Rounds half to even, as NumPy, PyTorch and ONNX do. */
export const round = (x: Tensor): Tensor => unary('round', x);
/** Sine, element-wise (radians). */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Cosine, element-wise (radians). */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** NOT of each element, as a bool tensor (non-zero is true). */
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);
