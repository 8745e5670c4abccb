import { FormatError, ShapeError } from '@recur/tensor';
import { arrayFor, fromHost, linesAlong } from './host';
import { axis, input, int, ints, type OpContext, type OpImpl, values } from './op';
import { clone, max, mean, min, resolveAxes, sqrt, square, sum, type Tensor, tidy } from './tensor-ops';

/** The product over `axes` (host: there is no product kernel). */
function prod(x: Tensor, axes: number[], o: { keepDims: boolean }): Tensor {
  const resolved = resolveAxes('ReduceProd', x, axes);
  const src = x.dataSync();
  const outShape = x.shape.map((d, i) => (resolved.includes(i) ? 1 : d));
  const out = arrayFor(
    x.dtype,
    outShape.reduce((a, b) => a * b, 1),
  ).fill(1);
  const strides = x.shape.map((_, i) => outShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const coords = new Array(x.rank).fill(0);
  for (let i = 0; i < src.length; i++) {
    let o = 0;
    for (let k = 0; k < x.rank; k++) if (!resolved.includes(k)) o += coords[k] * strides[k];
    out[o] *= src[i];
    for (let k = x.rank - 1; k >= 0; k--) {
      if (++coords[k] < x.shape[k]) break;
      coords[k] = 0;
    }
  }
  const shape = o.keepDims ? outShape : x.shape.filter((_, i) => !resolved.includes(i));
  return fromHost(out, shape, x.dtype);
}

/** ArgMax / ArgMin: the first extreme along the axis, or the last with select_last_index. */
function argExtreme(c: OpContext, better: (a: number, b: number) => boolean): Tensor[] {
  const x = input(c, 0, 'data');
  const a = axis(c, 'axis', 0, x.rank);
  const keep = int(c, 'keepdims', 1) === 1;
  const last = int(c, 'select_last_index', 0) === 1;
  const src = x.dataSync();
  const { n, lines, at } = linesAlong(x.shape, a);
  if (n === 0) throw new ShapeError(`${c.node}: cannot reduce an empty axis ${a}`);
  const out = new Int32Array(lines);
  for (let r = 0; r < lines; r++) {
    let best = 0;
    for (let j = 1; j < n; j++) {
      const v = src[at(r, j)];
      const b = src[at(r, best)];
      if (better(v, b) || (last && v === b)) best = j;
    }
    out[r] = best;
  }
  const shape = keep ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return [fromHost(out, shape, 'int32')];
}

function cumSum(c: OpContext): Tensor[] {
  const x = input(c, 0, 'x');
  const axisValue = values(input(c, 1, 'axis'), c, 'axis') as number[];
  if (axisValue.length !== 1) throw new FormatError(`${c.node}: axis should hold one value, got ${axisValue.length}`);
  const a = axisValue[0] < 0 ? axisValue[0] + x.rank : axisValue[0];
  if (a < 0 || a >= x.rank) throw new ShapeError(`${c.node}: axis ${axisValue[0]} is out of range for rank ${x.rank}`);
  const exclusive = int(c, 'exclusive', 0) === 1;
  const reverse = int(c, 'reverse', 0) === 1;
  const src = x.dataSync();
  const out = arrayFor(x.dtype, src.length);
  const { n, lines, at } = linesAlong(x.shape, a);
  for (let r = 0; r < lines; r++) {
    let total = 0;
    for (let k = 0; k < n; k++) {
      const j = reverse ? n - 1 - k : k;
      const v = src[at(r, j)];
      if (exclusive) {
        out[at(r, j)] = total;
        total += v;
      } else {
        total += v;
        out[at(r, j)] = total;
      }
    }
  }
  return [fromHost(out, x.shape, x.dtype)];
}

/** TopK: the k largest (or smallest) along an axis, values and int indices; ties keep the lower index first. */
function topK(c: OpContext): Tensor[] {
  const x = input(c, 0, 'X');
  const a = axis(c, 'axis', -1, x.rank);
  const k = c.opset < 10 ? int(c, 'k', -1) : (values(input(c, 1, 'K'), c, 'K') as number[])[0];
  const largest = int(c, 'largest', 1) === 1;
  const { n, lines, at } = linesAlong(x.shape, a);
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new ShapeError(`${c.node}: K = ${k} should be in 0..${n} (the size of axis ${a})`);
  const src = x.dataSync();
  const outShape = x.shape.map((d, i) => (i === a ? k : d));
  const vals = arrayFor(x.dtype, lines * k);
  const idx = new Int32Array(lines * k);
  const outLines = linesAlong(outShape, a);
  for (let r = 0; r < lines; r++) {
    const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => {
      const d = src[at(r, p)] - src[at(r, q)];
      return (largest ? -d : d) || p - q;
    });
    for (let j = 0; j < k; j++) {
      vals[outLines.at(r, j)] = src[at(r, order[j])];
      idx[outLines.at(r, j)] = order[j];
    }
  }
  return [fromHost(vals, outShape, x.dtype), fromHost(idx, outShape, 'int32')];
}

const l2 = (x: Tensor, axes: number[], o: { keepDims: boolean }) => tidy(() => sqrt(sum(square(x), axes, o)));

function reduce(
  ctx: OpContext,
  f: (x: Tensor, axes: number[], o: { keepDims: boolean }) => Tensor,
  axesAsInputFrom: number,
): Tensor[] {
  const x = input(ctx, 0, 'data');
  const keepDims = int(ctx, 'keepdims', 1) === 1;
  let axes = ctx.opset >= axesAsInputFrom ? values(ctx.inputs[1], ctx, 'axes') : ints(ctx, 'axes');
  if (!axes || axes.length === 0) {
    if (int(ctx, 'noop_with_empty_axes', 0) === 1) return [clone(x)];
    axes = [...x.shape.keys()];
  }
  return [f(x, axes, { keepDims })];
}

/** Operators that reduce along axes: Reduce*, ArgMax / ArgMin, TopK. */
export const reductionOps: Record<string, OpImpl> = {
  // Axes became an input at opset 18 (ReduceSum at 13).
  ReduceMax: (c) => reduce(c, max, 18),
  ReduceMin: (c) => reduce(c, min, 18),
  ReduceProd: (c) => reduce(c, prod, 18),
  ReduceL2: (c) => reduce(c, l2, 18),
  ReduceSumSquare: (c) => reduce(c, (x, axes, o) => sum(square(x), axes, o), 18),
  ArgMax: (c) => argExtreme(c, (a, b) => a > b),
  ArgMin: (c) => argExtreme(c, (a, b) => a < b),
  CumSum: cumSum,
  TopK: topK,
  ReduceSum: (c) => reduce(c, sum, 13),
  ReduceMean: (c) => reduce(c, mean, 18),
};
