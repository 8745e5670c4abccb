import { DTypeError } from '@recur/tensor';
import { input, num, type OpContext, type OpImpl } from './op';
import {
  abs,
  add,
  cast,
  type DType,
  div,
  equal,
  exp,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  logicalNot,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  relu,
  sigmoid,
  sign,
  sqrt,
  sub,
  type Tensor,
  tanh,
  tensor,
  where,
} from './tensor-ops';

/** A tensor of the same shape and dtype whose values `f` computes on the host (ops the kernels lack). */
export function hostMap(x: Tensor, f: (v: number) => number): Tensor {
  const src = x.dataSync();
  const out = x.dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return tensor(out, { shape: x.shape, dtype: x.dtype });
}

/**
 * erf in float64: its Maclaurin series below 3.9 (cancellation costs at most 6 of float64's 16
 * digits there), ±1 above, where 1 − erf is below float32's resolution (erfc(3.9) ≈ 3.5e-8).
 */
export function erf(v: number): number {
  const x = Math.abs(v);
  if (Number.isNaN(v)) return v;
  if (x >= 3.9) return Math.sign(v);
  let term = x; // (-1)^n x^(2n+1) / n!
  let total = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    total += add;
    if (Math.abs(add) < 1e-17 * Math.abs(total)) break;
  }
  return Math.sign(v) * total * 1.1283791670955126; // 2 / sqrt(pi)
}

function bools(ctx: OpContext, i: number, what: string): Tensor {
  const t = input(ctx, i, what);
  if (t.dtype !== 'bool') throw new DTypeError(`${ctx.node}: ${what} should be bool, got ${t.dtype}`);
  return cast(t, 'int32');
}

/** Max / Min over any number of inputs, broadcast. */
function variadic(ctx: OpContext, f: (a: Tensor, b: Tensor) => Tensor): Tensor[] {
  const xs = ctx.inputs.filter((t): t is Tensor => !!t);
  if (xs.length === 0) throw new DTypeError(`${ctx.node}: needs at least one input`);
  return [xs.slice(1).reduce(f, mul(xs[0], 1))];
}

/** ONNX Mod: integer mod takes the divisor's sign (Python), fmod = 1 (required for floats) the dividend's. */
function onnxMod(ctx: OpContext): Tensor[] {
  const a = input(ctx, 0, 'A');
  const b = input(ctx, 1, 'B');
  const fmod = num(ctx, 'fmod', 0) === 1;
  const float = a.dtype.startsWith('float');
  if (float && !fmod) throw new DTypeError(`${ctx.node}: Mod of floating-point tensors needs fmod = 1`);
  const q = div(a, b);
  const whole = fmod ? mul(sign(q), floor(abs(q))) : floor(q);
  const r = sub(a, mul(b, float ? whole : cast(whole, a.dtype)));
  return [float ? r : cast(r, a.dtype)];
}

const keepDType = (t: Tensor, dtype: DType) => (t.dtype === dtype ? t : cast(t, dtype));

/** Integer division truncates toward zero for ints (ONNX Div on integer tensors). */
function onnxDiv(a: Tensor, b: Tensor): Tensor {
  const ints = a.dtype === 'int32' && b.dtype === 'int32';
  if (!ints) return div(a, b);
  const q = div(a, b);
  return cast(mul(sign(q), floor(abs(q))), 'int32');
}

/** Element-wise operators: each output element from the same position of the (broadcast) inputs: arithmetic, comparisons, logic, activations, Where. */
export const elementwiseOps: Record<string, OpImpl> = {
  Neg: (c) => [neg(input(c, 0, 'X'))],
  Abs: (c) => [abs(input(c, 0, 'X'))],
  Sign: (c) => [sign(input(c, 0, 'input'))],
  Exp: (c) => [exp(input(c, 0, 'input'))],
  Log: (c) => [log(input(c, 0, 'input'))],
  Sqrt: (c) => [sqrt(input(c, 0, 'X'))],
  Erf: (c) => [hostMap(input(c, 0, 'input'), erf)],
  // The result has the base's dtype (an int base gives ints), whatever the exponent's.
  Pow: (c) => {
    const x = input(c, 0, 'X');
    const y = input(c, 1, 'Y');
    return [
      keepDType(
        pow(
          x.dtype.startsWith('float') ? x : cast(x, 'float32'),
          y.dtype === x.dtype ? y : cast(y, x.dtype.startsWith('float') ? x.dtype : 'float32'),
        ),
        x.dtype,
      ),
    ];
  },
  Max: (c) => variadic(c, maximum),
  Min: (c) => variadic(c, minimum),
  Mod: onnxMod,
  Greater: (c) => [greater(input(c, 0, 'A'), input(c, 1, 'B'))],
  GreaterOrEqual: (c) => [greaterEqual(input(c, 0, 'A'), input(c, 1, 'B'))],
  LessOrEqual: (c) => [lessEqual(input(c, 0, 'A'), input(c, 1, 'B'))],
  Not: (c) => [logicalNot(input(c, 0, 'X'))],
  And: (c) => [notEqual(mul(bools(c, 0, 'A'), bools(c, 1, 'B')), 0)],
  Or: (c) => [notEqual(maximum(bools(c, 0, 'A'), bools(c, 1, 'B')), 0)],
  LeakyRelu: (c) => {
    const x = input(c, 0, 'X');
    return [where(greaterEqual(x, 0), x, mul(x, num(c, 'alpha', 0.01)))];
  },
  Elu: (c) => {
    const x = input(c, 0, 'X');
    return [where(greaterEqual(x, 0), x, mul(sub(exp(x), 1), num(c, 'alpha', 1)))];
  },
  HardSigmoid: (c) => {
    const x = input(c, 0, 'X');
    return [maximum(minimum(add(mul(x, num(c, 'alpha', 0.2)), num(c, 'beta', 0.5)), 1), 0)];
  },
  // Before opset 11 the bounds are attributes; from 11 optional inputs (any numeric dtype from 12).
  Clip: (c) => {
    let x = input(c, 0, 'input');
    const lo = c.opset < 11 ? num(c, 'min', Number.NEGATIVE_INFINITY) : c.inputs[1];
    const hi = c.opset < 11 ? num(c, 'max', Number.POSITIVE_INFINITY) : c.inputs[2];
    if (lo !== undefined && lo !== Number.NEGATIVE_INFINITY) x = maximum(x, lo);
    if (hi !== undefined && hi !== Number.POSITIVE_INFINITY) x = minimum(x, hi);
    return [x === c.inputs[0] ? mul(x, 1) : x];
  },
  Add: (c) => [add(input(c, 0, 'A'), input(c, 1, 'B'))],
  Sub: (c) => [sub(input(c, 0, 'A'), input(c, 1, 'B'))],
  Mul: (c) => [mul(input(c, 0, 'A'), input(c, 1, 'B'))],
  Div: (c) => [onnxDiv(input(c, 0, 'A'), input(c, 1, 'B'))],
  Sigmoid: (c) => [sigmoid(input(c, 0, 'X'))],
  Tanh: (c) => [tanh(input(c, 0, 'input'))],
  Relu: (c) => [relu(input(c, 0, 'X'))],
  Where: (c) => [where(input(c, 0, 'condition'), input(c, 1, 'X'), input(c, 2, 'Y'))],
  Equal: (c) => [equal(input(c, 0, 'A'), input(c, 1, 'B'))],
  Less: (c) => [less(input(c, 0, 'A'), input(c, 1, 'B'))],
};
