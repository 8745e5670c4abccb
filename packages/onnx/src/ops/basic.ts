import { RecurError, UnsupportedError } from '@recur/tensor';
import { input, int, ints, num, type OpContext, type OpImpl, values } from './op';
import {
  abs,
  add,
  arange,
  broadcastTo,
  cast,
  clone,
  concat,
  type DType,
  div,
  equal,
  floor,
  full,
  gather,
  less,
  logSoftmax,
  matMul,
  mean,
  mul,
  relu,
  reshape,
  sigmoid,
  sign,
  softmax,
  split,
  squeeze,
  stridedSlice,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  transpose,
  tryBroadcast,
  unsqueeze,
  where,
} from './tensor-ops';

const ONNX_TO_DTYPE: Record<number, DType> = {
  1: 'float32',
  11: 'float64',
  6: 'int32',
  7: 'int32',
  9: 'bool',
  2: 'int32',
  3: 'int32',
};

function dtypeOf(ctx: OpContext, code: number): DType {
  const d = ONNX_TO_DTYPE[code];
  if (!d) throw new UnsupportedError(`${ctx.node}: data type ${code} is not supported`);
  return d;
}

/** Integer division truncates toward zero for ints (ONNX Div on integer tensors). */
function onnxDiv(a: Tensor, b: Tensor): Tensor {
  const ints = a.dtype === 'int32' && b.dtype === 'int32';
  if (!ints) return div(a, b);
  const q = div(a, b);
  return cast(mul(sign(q), floor(abs(q))), 'int32');
}

function softmaxLike(ctx: OpContext, f: (x: Tensor, axis: number) => Tensor): Tensor[] {
  const x = input(ctx, 0, 'input');
  const axis = int(ctx, 'axis', ctx.opset >= 13 ? -1 : 1);
  if (ctx.opset >= 13) return [f(x, axis)];
  // Before opset 13 the input is read as 2-D [prod(:axis), prod(axis:)].
  const a = axis < 0 ? axis + x.rank : axis;
  return [reshape(f(reshapeTo2D(x, a), 1), x.shape)];
}

function reshapeTo2D(x: Tensor, axis: number): Tensor {
  const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
  return reshape(x, [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))]);
}

function normalizeIndices(indices: Tensor, dim: number): Tensor {
  const v = values(indices) as number[];
  if (v.every((i) => i >= 0)) return indices;
  return tensor(
    v.map((i) => (i < 0 ? i + dim : i)),
    { shape: indices.shape, dtype: 'int32' },
  );
}

function reduce(
  ctx: OpContext,
  f: (x: Tensor, axes: number[], o: { keepDims: boolean }) => Tensor,
  axesAsInputFrom: number,
): Tensor[] {
  const x = input(ctx, 0, 'data');
  const keepDims = int(ctx, 'keepdims', 1) === 1;
  let axes = ctx.opset >= axesAsInputFrom ? values(ctx.inputs[1]) : ints(ctx, 'axes');
  if (!axes || axes.length === 0) {
    if (int(ctx, 'noop_with_empty_axes', 0) === 1) return [clone(x)];
    axes = [...x.shape.keys()];
  }
  return [f(x, axes, { keepDims })];
}

export const basicOps: Record<string, OpImpl> = {
  Identity: (c) => [clone(input(c, 0, 'input'))],
  Dropout: (c) => {
    const x = input(c, 0, 'data');
    return [clone(x), c.outputs > 1 ? full(x.shape, 1, 'bool') : undefined];
  },
  Constant: (c) => {
    const a = c.attrs;
    if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return [clone(a.value as Tensor)];
    if (typeof a.value_float === 'number') return [tensor([a.value_float], { shape: [], dtype: 'float32' })];
    if (Array.isArray(a.value_floats)) return [tensor(a.value_floats as number[], { dtype: 'float32' })];
    if (typeof a.value_int === 'number') return [tensor([a.value_int], { shape: [], dtype: 'int32' })];
    if (Array.isArray(a.value_ints)) return [tensor(a.value_ints as number[], { dtype: 'int32' })];
    throw new RecurError(`${c.node}: Constant without a supported value attribute`);
  },
  ConstantOfShape: (c) => {
    const shape = values(input(c, 0, 'shape')) as number[];
    const v = c.attrs.value as Tensor | undefined;
    const value = v ? (values(v) as number[])[0] : 0;
    return [full(shape, value, v ? v.dtype : 'float32')];
  },
  Shape: (c) => {
    const x = input(c, 0, 'data');
    const r = x.rank;
    const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    const start = clampAxis(int(c, 'start', 0));
    const end = clampAxis(int(c, 'end', r));
    return [tensor(x.shape.slice(start, Math.max(start, end)) as number[], { dtype: 'int32' })];
  },
  Gather: (c) => {
    const x = input(c, 0, 'data');
    const axis = int(c, 'axis', 0);
    const a = axis < 0 ? axis + x.rank : axis;
    return [gather(x, normalizeIndices(input(c, 1, 'indices'), x.shape[a]), a)];
  },
  Concat: (c) => [
    concat(
      c.inputs.filter((t): t is Tensor => !!t && t.size >= 0),
      int(c, 'axis', 0),
    ),
  ],
  Slice: (c) => {
    const x = input(c, 0, 'data');
    const starts = values(input(c, 1, 'starts')) as number[];
    const ends = values(input(c, 2, 'ends')) as number[];
    const axes = values(c.inputs[3]) ?? starts.map((_, i) => i);
    const steps = values(c.inputs[4]) ?? starts.map(() => 1);
    const clampBig = (v: number) => Math.max(Math.min(v, 2 ** 31 - 1), -(2 ** 31));
    return [stridedSlice(x, starts.map(clampBig), ends.map(clampBig), axes, steps)];
  },
  Squeeze: (c) => {
    const x = input(c, 0, 'data');
    const axes = c.opset >= 13 ? values(c.inputs[1]) : ints(c, 'axes');
    return [squeeze(x, axes)];
  },
  Unsqueeze: (c) => {
    let x = input(c, 0, 'data');
    const axes = (c.opset >= 13 ? values(input(c, 1, 'axes')) : ints(c, 'axes')) as number[];
    const outRank = x.rank + axes.length;
    for (const a of axes.map((v) => (v < 0 ? v + outRank : v)).sort((p, q) => p - q)) x = unsqueeze(x, a);
    return [x];
  },
  Transpose: (c) => [transpose(input(c, 0, 'data'), ints(c, 'perm'))],
  Reshape: (c) => {
    const x = input(c, 0, 'data');
    const shape = values(input(c, 1, 'shape')) as number[];
    const allowZero = int(c, 'allowzero', 0) === 1;
    return [
      reshape(
        x,
        shape.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d)),
      ),
    ];
  },
  Expand: (c) => {
    const x = input(c, 0, 'input');
    const shape = values(input(c, 1, 'shape')) as number[];
    return [broadcastTo(x, tryBroadcast(c.node, x.shape, shape))];
  },
  Cast: (c) => [cast(input(c, 0, 'input'), dtypeOf(c, int(c, 'to', 1)))],
  Split: (c) => {
    const x = input(c, 0, 'input');
    const axis = int(c, 'axis', 0);
    const a = axis < 0 ? axis + x.rank : axis;
    let sizes = c.opset >= 13 ? values(c.inputs[1]) : ints(c, 'split');
    if (!sizes || sizes.length === 0) {
      const parts = int(c, 'num_outputs', c.outputs);
      const chunk = Math.ceil(x.shape[a] / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, x.shape[a] - i * chunk)));
    }
    return split(x, sizes, a);
  },
  Gemm: (c) => {
    const a = input(c, 0, 'A');
    const b = input(c, 1, 'B');
    const alpha = num(c, 'alpha', 1);
    const beta = num(c, 'beta', 1);
    let y = matMul(a, b, { transposeA: int(c, 'transA', 0) === 1, transposeB: int(c, 'transB', 0) === 1 });
    if (alpha !== 1) y = mul(y, alpha);
    const bias = c.inputs[2];
    if (bias) y = add(y, beta !== 1 ? mul(bias, beta) : bias);
    return [y];
  },
  MatMul: (c) => [matMul(input(c, 0, 'A'), input(c, 1, 'B'))],
  Add: (c) => [add(input(c, 0, 'A'), input(c, 1, 'B'))],
  Sub: (c) => [sub(input(c, 0, 'A'), input(c, 1, 'B'))],
  Mul: (c) => [mul(input(c, 0, 'A'), input(c, 1, 'B'))],
  Div: (c) => [onnxDiv(input(c, 0, 'A'), input(c, 1, 'B'))],
  Softmax: (c) => softmaxLike(c, softmax),
  LogSoftmax: (c) => softmaxLike(c, logSoftmax),
  Sigmoid: (c) => [sigmoid(input(c, 0, 'X'))],
  Tanh: (c) => [tanh(input(c, 0, 'input'))],
  Relu: (c) => [relu(input(c, 0, 'X'))],
  Where: (c) => [where(input(c, 0, 'condition'), input(c, 1, 'X'), input(c, 2, 'Y'))],
  Equal: (c) => [equal(input(c, 0, 'A'), input(c, 1, 'B'))],
  Less: (c) => [less(input(c, 0, 'A'), input(c, 1, 'B'))],
  Range: (c) => {
    const start = input(c, 0, 'start');
    const [s] = values(start) as number[];
    const [l] = values(input(c, 1, 'limit')) as number[];
    const [d] = values(input(c, 2, 'delta')) as number[];
    return [arange(s, l, d, start.dtype)];
  },
  ReduceSum: (c) => reduce(c, sum, 13),
  ReduceMean: (c) => reduce(c, mean, 18),
  Flatten: (c) => {
    const x = input(c, 0, 'input');
    const axis = int(c, 'axis', 1);
    const a = axis < 0 ? axis + x.rank : axis;
    return [reshapeTo2D(x, a)];
  },
};
