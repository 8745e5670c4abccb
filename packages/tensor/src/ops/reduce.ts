import { type ArgReduceOp, formatShape, type ReduceOp, ShapeError } from '@recur/backend-api';
import { runKernel, tidy } from '../engine';
import type { Tensor } from '../tensor';
import { add, div, sub } from './binary';
import { cast, detach } from './convert';
import { reshape, resolveAxis } from './shape-ops';
import { exp, log } from './unary';

/** How a reduction shapes its result. */
export interface ReduceOptions {
  /** Keep each reduced axis as size 1 (default false: they are dropped). */
  keepDims?: boolean;
}

/** Normalised, sorted, distinct axes; all axes when none are given. */
export function resolveAxes(op: string, x: Tensor, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return [...x.shape.keys()];
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => resolveAxis(op, a, x.rank));
  return [...new Set(list)].sort((a, b) => a - b);
}

function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduce(op: ReduceOp, x: Tensor, axes: number | readonly number[] | undefined, options: ReduceOptions): Tensor {
  const list = resolveAxes(op, x, axes);
  return tidy(() => {
    if ((op === 'max' || op === 'min') && list.some((a) => x.shape[a] === 0)) {
      throw new ShapeError(`${op}: cannot reduce over an empty axis of ${formatShape(x.shape)}`);
    }
    const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
    let out: Tensor;
    if (list.length === 0) out = runKernel('reshape', [input], { shape: input.shape }, (b, s) => b.reshape(s, s.shape));
    else out = runKernel(op, [input], { axes: list }, (b, s) => b.reduce(op, s, list));
    return options.keepDims ? reshape(out, keptShape(x, list)) : out;
  });
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return reduce('sum', x, axes, options);
}

/** The largest element over `axes` (all axes when absent). */
export function max(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return reduce('max', x, axes, options);
}

/** The smallest element over `axes` (all axes when absent). */
export function min(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return reduce('min', x, axes, options);
}

/** Mean over `axes`; integer inputs give float32. */
export function mean(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = resolveAxes('mean', x, axes);
  const count = list.reduce((n, a) => n * x.shape[a], 1);
  return tidy(() => div(sum(x.dtype === 'float64' ? x : cast(x, 'float32'), list, options), count));
}

/** log(sum(exp(x))) over `axes`, computed stably by shifting by the max. */
export function logSumExp(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = resolveAxes('logSumExp', x, axes);
  return tidy(() => {
    // The shift is a constant for differentiation: the result does not depend on it.
    const m = detach(max(x, list, { keepDims: true }));
    const out = add(log(sum(exp(sub(x, m)), list, { keepDims: true })), m);
    return options.keepDims
      ? out
      : reshape(
          out,
          x.shape.filter((_, i) => !list.includes(i)),
        );
  });
}

function argReduce(op: ArgReduceOp, x: Tensor, axis: number, options: ReduceOptions): Tensor {
  const a = resolveAxis(op, axis, x.rank);
  if (x.shape[a] === 0) throw new ShapeError(`${op}: axis ${axis} of ${formatShape(x.shape)} is empty`);
  return tidy(() => {
    const out = runKernel(op, [x], { axis: a }, (b, s) => b.argReduce(op, s, a));
    return options.keepDims ? reshape(out, keptShape(x, [a])) : out;
  });
}

/** Index (int32) of the largest value along `axis`; the first one wins ties. */
export function argMax(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  return argReduce('argMax', x, axis, options);
}

/** The index of the smallest element along `axis`, int32 (the first one on ties). */
export function argMin(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  return argReduce('argMin', x, axis, options);
}
