import { FormatError, formatShape, ShapeError, UnsupportedError } from '@recur/tensor';
import {
  axis,
  boundInts,
  floats,
  input,
  int,
  ints,
  num,
  type OpContext,
  type OpImpl,
  shapeValues,
  tensorAttr,
  values,
} from './op';
import {
  arange,
  broadcastTo,
  cast,
  clone,
  concat,
  type DType,
  full,
  reshape,
  split,
  squeeze,
  stridedSlice,
  type Tensor,
  tensor,
  transpose,
  tryBroadcast,
  unsqueeze,
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
  if (!d) throw new UnsupportedError(`${ctx.node}: data type ${code} is not supported (1, 2, 3, 6, 7, 9, 11 are)`);
  return d;
}

/** Flatten's axis: 0..rank inclusive (negative counts from the end). */
function flattenAxis(ctx: OpContext, rank: number): number {
  const a0 = int(ctx, 'axis', 1);
  const a = a0 < 0 ? a0 + rank : a0;
  if (a < 0 || a > rank) throw new ShapeError(`${ctx.node}: axis ${a0} is out of range for rank ${rank}`);
  return a;
}

export function reshapeTo2D(x: Tensor, axis: number): Tensor {
  const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
  return reshape(x, [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))]);
}

/** Operators that make tensors or change their shape, layout or dtype, never their values: Constant, Shape, Reshape, Transpose, Concat, Slice, Split, Cast, Range, … */
export const shapeOps: Record<string, OpImpl> = {
  Identity: (c) => [clone(input(c, 0, 'input'))],
  Dropout: (c) => {
    const x = input(c, 0, 'data');
    return [clone(x), c.outputs > 1 ? full(x.shape, 1, 'bool') : undefined];
  },
  Constant: (c) => {
    const value = tensorAttr(c, 'value');
    if (value) return [clone(value)];
    if (c.attrs.value_float !== undefined) return [tensor([num(c, 'value_float', 0)], { shape: [], dtype: 'float32' })];
    const fs = floats(c, 'value_floats');
    if (fs) return [tensor(fs, { dtype: 'float32' })];
    if (c.attrs.value_int !== undefined) return [tensor([int(c, 'value_int', 0)], { shape: [], dtype: 'int32' })];
    const is = ints(c, 'value_ints');
    if (is) return [tensor(is, { dtype: 'int32' })];
    throw new UnsupportedError(
      `${c.node}: Constant needs a value, value_float(s) or value_int(s) attribute; got ${Object.keys(c.attrs).join(', ') || 'none'}`,
    );
  },
  ConstantOfShape: (c) => {
    const shape = shapeValues(c, input(c, 0, 'shape'), 'shape');
    const v = tensorAttr(c, 'value');
    if (v && v.size !== 1)
      throw new ShapeError(`${c.node}: value should hold one element, got ${formatShape(v.shape)}`);
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
  Concat: (c) => [
    concat(
      c.inputs.filter((t): t is Tensor => !!t && t.size >= 0),
      int(c, 'axis', 0),
    ),
  ],
  Slice: (c) => {
    const x = input(c, 0, 'data');
    // Before opset 10, starts / ends / axes were attributes.
    const old = c.opset < 10;
    const starts = (old ? boundInts(c, 'starts') : values(input(c, 1, 'starts'), c, 'starts')) ?? [];
    const ends = (old ? boundInts(c, 'ends') : values(input(c, 2, 'ends'), c, 'ends')) ?? [];
    const axes = (old ? ints(c, 'axes') : values(c.inputs[3], c, 'axes')) ?? starts.map((_, i) => i);
    const steps = (old ? undefined : values(c.inputs[4], c, 'steps')) ?? starts.map(() => 1);
    const clampBig = (v: number) => Math.max(Math.min(v, 2 ** 31 - 1), -(2 ** 31));
    return [stridedSlice(x, starts.map(clampBig), ends.map(clampBig), axes, steps)];
  },
  Squeeze: (c) => {
    const x = input(c, 0, 'data');
    const axes = c.opset >= 13 ? values(c.inputs[1], c, 'axes') : ints(c, 'axes');
    return [squeeze(x, axes)];
  },
  Unsqueeze: (c) => {
    let x = input(c, 0, 'data');
    const axes = (c.opset >= 13 ? values(input(c, 1, 'axes'), c, 'axes') : ints(c, 'axes')) ?? [];
    const outRank = x.rank + axes.length;
    const resolved = axes.map((v) => (v < 0 ? v + outRank : v));
    if (resolved.some((a) => a < 0 || a >= outRank) || new Set(resolved).size !== resolved.length)
      throw new ShapeError(`${c.node}: axes [${axes.join(', ')}] are not distinct axes of the rank-${outRank} output`);
    for (const a of resolved.sort((p, q) => p - q)) x = unsqueeze(x, a);
    return [x];
  },
  Transpose: (c) => [transpose(input(c, 0, 'data'), ints(c, 'perm'))],
  Reshape: (c) => {
    const x = input(c, 0, 'data');
    const shape = shapeValues(c, input(c, 1, 'shape'), 'shape', { minusOne: true });
    const allowZero = int(c, 'allowzero', 0) === 1;
    if (!allowZero && shape.some((d, i) => d === 0 && i >= x.rank))
      throw new ShapeError(
        `${c.node}: shape [${shape.join(', ')}] copies (0) an axis that ${formatShape(x.shape)} lacks`,
      );
    return [
      reshape(
        x,
        shape.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d)),
      ),
    ];
  },
  Expand: (c) => {
    const x = input(c, 0, 'input');
    const shape = shapeValues(c, input(c, 1, 'shape'), 'shape');
    return [broadcastTo(x, tryBroadcast(c.node, x.shape, shape))];
  },
  Cast: (c) => [cast(input(c, 0, 'input'), dtypeOf(c, int(c, 'to', 1)))],
  Split: (c) => {
    const x = input(c, 0, 'input');
    const a = axis(c, 'axis', 0, x.rank);
    let sizes = c.opset >= 13 ? values(c.inputs[1], c, 'split') : ints(c, 'split');
    if (!sizes || sizes.length === 0) {
      // num_outputs (opset 18) must agree with the node's outputs: they bound the work, not the attribute.
      const parts = int(c, 'num_outputs', c.outputs);
      if (parts !== c.outputs)
        throw new FormatError(`${c.node}: num_outputs is ${parts}, but the node has ${c.outputs} output(s)`);
      const chunk = Math.ceil(x.shape[a] / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, x.shape[a] - i * chunk)));
    } else if (sizes.length !== c.outputs || sizes.some((n) => n < 0)) {
      throw new FormatError(
        `${c.node}: split sizes [${sizes.join(', ')}] should be ${c.outputs} non-negative number(s), one per output`,
      );
    }
    return split(x, sizes, a);
  },
  Range: (c) => {
    const scalarOf = (i: number, what: string): number => {
      const t = input(c, i, what);
      if (t.size !== 1) throw new ShapeError(`${c.node}: ${what} should be a scalar, got ${formatShape(t.shape)}`);
      return t.dataSync()[0];
    };
    const start = input(c, 0, 'start');
    return [arange(scalarOf(0, 'start'), scalarOf(1, 'limit'), scalarOf(2, 'delta'), start.dtype)];
  },
  Flatten: (c) => {
    const x = input(c, 0, 'input');
    return [reshapeTo2D(x, flattenAxis(c, x.rank))];
  },
};
