import {
  checkElements,
  formatShape,
  normalizeAxis,
  ShapeError,
  shapesEqual,
  sizeOf,
  tryBroadcastShapes,
} from '@recur/backend-api';
import { runKernel } from '../engine';
import type { Tensor } from '../tensor';

/** Resolves `axis` (negative counts from the end) or throws an error that names the op. */
export function resolveAxis(op: string, axis: number, rank: number): number {
  const a = normalizeAxis(axis, rank);
  if (a < 0) throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** New shape with the same number of elements; one entry may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError(`reshape: at most one -1 in ${formatShape(shape)}`);
  const knownSize = sizeOf(known);
  let target = [...shape];
  if (inferred === 1) {
    if (knownSize === 0 || x.size % knownSize !== 0) {
      throw new ShapeError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
      );
    }
    target = shape.map((d) => (d === -1 ? x.size / knownSize : d));
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(target) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
    );
  }
  return runKernel('reshape', [x], { shape: target }, (b, s) => b.reshape(s, target));
}

/** Collapses axes from `startAxis` to `endAxis` (inclusive) into one, as torch.flatten. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = resolveAxis('flatten', startAxis, x.rank);
  const e = resolveAxis('flatten', endAxis, x.rank);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Inserts a size-1 axis at `axis` (PyTorch's unsqueeze, tf's expandDims). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = resolveAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes size-1 axes: the given ones (each must have size 1) or all of them. */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list =
    axes === undefined
      ? null
      : (typeof axes === 'number' ? [axes] : axes).map((a) => resolveAxis('squeeze', a, x.rank));
  if (list) {
    for (const a of list) {
      if (x.shape[a] !== 1)
        throw new ShapeError(`squeeze: axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
    }
  }
  return reshape(
    x,
    x.shape.filter((d, i) => (list ? !list.includes(i) : d !== 1)),
  );
}

/** Permutes axes; the default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => resolveAxis('transpose', a, x.rank)) : [...x.shape.keys()].reverse();
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new ShapeError(
      `transpose: perm [${perm}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`,
    );
  }
  if (p.every((a, i) => a === i)) return runKernel('reshape', [x], { shape: x.shape }, (b, s) => b.reshape(s, s.shape));
  return runKernel('transpose', [x], { perm: p }, (b, s) => b.transpose(s, p));
}

/** Swaps two axes. */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const perm = [...x.shape.keys()];
  const i = resolveAxis('swapAxes', a, x.rank);
  const j = resolveAxis('swapAxes', b, x.rank);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(x, perm);
}

/** Repeats size-1 axes (and adds leading ones) to reach `shape`, as NumPy's broadcast_to. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const out = tryBroadcastShapes(x.shape, shape);
  if (!out || !shapesEqual(out, shape)) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  if (shapesEqual(x.shape, shape)) return runKernel('reshape', [x], { shape }, (b, s) => b.reshape(s, shape));
  checkElements('broadcastTo', shape);
  return runKernel('broadcastTo', [x], { shape: [...shape] }, (b, s) => b.broadcastTo(s, shape));
}
