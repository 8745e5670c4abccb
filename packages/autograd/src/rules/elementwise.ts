import {
  cast,
  cos,
  div,
  equal,
  greater,
  log,
  mul,
  neg,
  pow,
  sigmoid,
  sign,
  sin,
  sub,
  type Tensor,
  where,
  zerosLike,
} from '@recur/tensor';
import { unbroadcast } from './helpers';
import type { GradRule } from './rule';

const zeroGrad: GradRule = ({ inputs }) => inputs.map((x) => zerosLike(x));

/** d(op)/d(inputs) for the elementwise kernels, one line each where the math allows. */
export const elementwiseRules: Record<string, GradRule> = {
  identity: ({ inputs: [x] }, [dy]) => [cast(dy, x.dtype)],
  cast: ({ inputs: [x] }, [dy]) => [x.dtype === 'float32' || x.dtype === 'float64' ? cast(dy, x.dtype) : null],
  neg: (_, [dy]) => [neg(dy)],
  abs: ({ inputs: [x] }, [dy]) => [mul(dy, sign(x))],
  exp: ({ outputs: [y] }, [dy]) => [mul(dy, y)],
  log: ({ inputs: [x] }, [dy]) => [div(dy, x)],
  sqrt: ({ outputs: [y] }, [dy]) => [div(dy, mul(y, 2))],
  tanh: ({ outputs: [y] }, [dy]) => [mul(dy, sub(1, mul(y, y)))],
  sigmoid: ({ outputs: [y] }, [dy]) => [mul(dy, mul(y, sub(1, y)))],
  relu: ({ inputs: [x] }, [dy]) => [where(greater(x, 0), dy, 0)],
  softplus: ({ inputs: [x] }, [dy]) => [mul(dy, sigmoid(x))],
  sin: ({ inputs: [x] }, [dy]) => [mul(dy, cos(x))],
  cos: ({ inputs: [x] }, [dy]) => [neg(mul(dy, sin(x)))],
  sign: zeroGrad,
  floor: zeroGrad,
  ceil: zeroGrad,
  round: zeroGrad,
  logicalNot: ({ inputs }) => inputs.map(() => null),

  add: ({ inputs: [a, b] }, [dy]) => [unbroadcast(dy, a.shape), unbroadcast(dy, b.shape)],
  sub: ({ inputs: [a, b] }, [dy]) => [unbroadcast(dy, a.shape), unbroadcast(neg(dy), b.shape)],
  mul: ({ inputs: [a, b] }, [dy]) => [unbroadcast(mul(dy, b), a.shape), unbroadcast(mul(dy, a), b.shape)],
  div: ({ inputs: [a, b] }, [dy]) => [
    unbroadcast(div(dy, b), a.shape),
    unbroadcast(neg(div(mul(dy, a), mul(b, b))), b.shape),
  ],
  pow: ({ inputs: [a, b], outputs: [y] }, [dy]) => [
    unbroadcast(mul(dy, mul(b, pow(a, sub(b, 1)))), a.shape),
    // d/db a^b = a^b log a, taken as 0 where a ≤ 0 (PyTorch does the same at a = 0).
    unbroadcast(mul(dy, where(greater(a, 0), mul(y, log(where(greater(a, 0), a, 1))), 0)), b.shape),
  ],
  // Ties split the gradient evenly between the two inputs, as PyTorch does.
  maximum: ({ inputs: [a, b] }, [dy]) => tieSplit(a, b, dy, greater(a, b), greater(b, a)),
  minimum: ({ inputs: [a, b] }, [dy]) => tieSplit(a, b, dy, greater(b, a), greater(a, b)),

  where: ({ inputs: [c, a, b] }, [dy]) => [
    null,
    unbroadcast(where(c, dy, 0), a.shape),
    unbroadcast(where(c, 0, dy), b.shape),
  ],
};

function tieSplit(a: Tensor, b: Tensor, dy: Tensor, aWins: Tensor, bWins: Tensor): [Tensor, Tensor] {
  const half = mul(dy, 0.5);
  const tie = equal(a, b);
  const da = where(aWins, dy, where(tie, half, 0));
  const db = where(bWins, dy, where(tie, half, 0));
  return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)];
}
