import { checkElements, formatShape, RecurError, ShapeError, shapesEqual, ValueError } from '@recur/backend-api';
import { runKernel, runKernelMulti, tidy } from '../engine';
import type { Tensor } from '../tensor';
import { resolveAxis, unsqueeze } from './shape-ops';

/** The primitive every slicing op lowers to: start, count and (non-zero) step per axis. */
function sliceKernel(x: Tensor, begin: number[], size: number[], step: number[]): Tensor {
  return runKernel('slice', [x], { begin, size, step }, (b, s) => b.slice(s, begin, size, step));
}

/**
 * A contiguous block, as tf.slice: `begin[i]` (negative counts from the end) and `size[i]`
 * elements (-1 or absent: to the end) along each axis; missing axes are taken whole. A number for
 * `begin` or `size` is the first axis' (as tfjs takes it for a 1-D tensor).
 */
export function slice(x: Tensor, beginArg: number | readonly number[], sizeArg?: number | readonly number[]): Tensor {
  const begin = typeof beginArg === 'number' ? [beginArg] : beginArg;
  const size = typeof sizeArg === 'number' ? [sizeArg] : sizeArg;
  if (!Array.isArray(begin) || (size !== undefined && !Array.isArray(size))) {
    throw new ValueError(
      `slice: begin and size should be numbers or lists of numbers, got ${JSON.stringify(beginArg)} and ${JSON.stringify(sizeArg)}`,
    );
  }
  if (begin.length > x.rank || (size && size.length > x.rank)) {
    throw new ShapeError(
      `slice: begin [${begin}] / size [${size ?? ''}] have more entries than the rank of ${formatShape(x.shape)}`,
    );
  }
  const b: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const dim = x.shape[i];
    let start = begin[i] ?? 0;
    if (start < 0) start += dim;
    const count = size?.[i] === undefined || size[i] === -1 ? dim - start : size[i];
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > dim) {
      throw new ShapeError(
        `slice: begin [${begin}] size [${size ?? ''}] is out of bounds for ${formatShape(x.shape)} (axis ${i})`,
      );
    }
    b.push(start);
    s.push(count);
  }
  return sliceKernel(
    x,
    b,
    s,
    b.map(() => 1),
  );
}

/**
 * NumPy / ONNX Slice semantics: for each listed axis, elements from `starts` up to (not
 * including) `ends` by `steps`, with negative indices counting from the end and out-of-range
 * bounds clamped; a negative step walks backwards.
 */
export function stridedSlice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Tensor {
  const begin = x.shape.map(() => 0);
  const size = [...x.shape];
  const step = x.shape.map(() => 1);
  const list = axes ?? starts.map((_, i) => i);
  if (starts.length !== list.length || ends.length !== list.length || (steps && steps.length !== list.length)) {
    throw new RecurError('stridedSlice: starts, ends, axes and steps must have the same length');
  }
  list.forEach((axis, k) => {
    const a = resolveAxis('stridedSlice', axis, x.rank);
    const dim = x.shape[a];
    const st = steps?.[k] ?? 1;
    if (st === 0) throw new ValueError(`stridedSlice: step for axis ${axis} must not be 0`);
    let s = starts[k];
    let e = ends[k];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    begin[a] = s;
    size[a] = Math.max(0, Math.ceil((e - s) / st));
    step[a] = st;
    if (size[a] === 0) begin[a] = 0;
  });
  return sliceKernel(x, begin, size, step);
}

/** Joins tensors along `axis`; all other sizes and the dtype must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  const first = xs[0];
  const a = resolveAxis('concat', axis, first.rank);
  for (const [i, x] of xs.entries()) {
    const same = x.rank === first.rank && x.shape.every((d, j) => j === a || d === first.shape[j]);
    if (!same || x.dtype !== first.dtype) {
      throw new ShapeError(
        `concat: tensor ${i} is ${formatShape(x.shape)} ${x.dtype}, expected ${formatShape(first.shape)} ${first.dtype} except along axis ${a}`,
      );
    }
  }
  if (xs.length === 1) return runKernel('reshape', [first], { shape: first.shape }, (b, s) => b.reshape(s, s.shape));
  return runKernel('concat', xs, { axis: a }, (b, ...s) => b.concat(s, a));
}

/** Stacks same-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: needs at least one tensor');
  for (const [i, x] of xs.entries()) {
    if (!shapesEqual(x.shape, xs[0].shape)) {
      throw new ShapeError(`stack: tensor ${i} is ${formatShape(x.shape)}, expected ${formatShape(xs[0].shape)}`);
    }
  }
  return tidy(() =>
    concat(
      xs.map((x) => unsqueeze(x, axis)),
      axis,
    ),
  );
}

/**
 * Splits along `axis` into `sections` equal parts (a number) or parts of the given sizes (an
 * array, one entry may be -1).
 */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const a = resolveAxis('split', axis, x.rank);
  const dim = x.shape[a];
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || dim % sections !== 0) {
      throw new ShapeError(
        `split: axis ${a} of ${formatShape(x.shape)} (size ${dim}) does not split into ${sections} equal parts`,
      );
    }
    sizes = new Array(sections).fill(dim / sections);
  } else {
    const known = sections.filter((s) => s !== -1).reduce((n, s) => n + s, 0);
    sizes = sections.map((s) => (s === -1 ? dim - known : s));
    if (sizes.some((s) => s < 0) || sizes.reduce((n, s) => n + s, 0) !== dim) {
      throw new ShapeError(
        `split: sizes [${sections}] do not add up to ${dim}, the size of axis ${a} of ${formatShape(x.shape)}`,
      );
    }
  }
  const starts: number[] = [];
  sizes.reduce((offset, s) => {
    starts.push(offset);
    return offset + s;
  }, 0);
  return runKernelMulti('split', [x], { axis: a, sizes }, (b, s) =>
    sizes.map((n, i) => {
      const begin = x.shape.map((_, j) => (j === a ? starts[i] : 0));
      const size = x.shape.map((d, j) => (j === a ? n : d));
      return b.slice(
        s,
        begin,
        size,
        begin.map(() => 1),
      );
    }),
  );
}

/** Constant padding: `paddings[i] = [before, after]` for each axis (missing axes: none). */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (paddings.length > x.rank) {
    throw new ShapeError(`pad: ${paddings.length} paddings for rank ${x.rank} ${formatShape(x.shape)}`);
  }
  const full = x.shape.map((_, i) => paddings[i] ?? ([0, 0] as const));
  for (const [before, after] of full) {
    if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
      throw new ValueError(`pad: paddings must be non-negative integers, got ${JSON.stringify(paddings)}`);
    }
  }
  checkElements(
    'pad',
    x.shape.map((d, i) => d + full[i][0] + full[i][1]),
  );
  return runKernel('pad', [x], { paddings: full, value }, (b, s) => b.pad(s, full, value));
}
