import {
  allocTypedArray,
  checkElements,
  type DType,
  DTypeError,
  formatShape,
  ShapeError,
  sizeOf,
  ValueError,
} from '@recur/backend-api';
import { tensor } from '../create';
import { runKernel, tidy } from '../engine';
import { hostValues, Tensor } from '../tensor';
import { equal } from './binary';
import { cast } from './convert';
import { resolveAxis, unsqueeze } from './shape-ops';

/**
 * The indices as int32, each checked in range where the backend reads synchronously (a backend
 * that reads only asynchronously, a GPU, goes without the check, as TensorFlow.js' GPU backends do).
 */
function checkIndices(op: string, indices: Tensor, axisSize: number, what: string): Tensor {
  const idx = indices.dtype === 'int32' ? indices : cast(indices, 'int32');
  if (indices.dtype === 'float32' || indices.dtype === 'float64') {
    throw new DTypeError(`${op}: indices must be int32 (or int64), got ${indices.dtype}`);
  }
  const values = hostValues(idx) ?? [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= axisSize) {
      throw new ValueError(
        `${op}: index ${values[i]} at position ${i} is out of range for ${what} of size ${axisSize}`,
      );
    }
  }
  return idx;
}

/**
 * Selects entries along `axis` by integer indices of any shape: the result's shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:] (NumPy's take, ONNX Gather). Negative
 * indices are not accepted; every index is range-checked.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = resolveAxis('gather', axis, x.rank);
  return tidy(() => {
    const idx = checkIndices('gather', indices, x.shape[a], `axis ${a} of ${formatShape(x.shape)}`);
    checkElements('gather', [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)]);
    return runKernel('gather', [x, idx], { axis: a }, (b, s, i) => b.gather(s, i, a));
  });
}

/**
 * The transpose of gather: zeros of `shape` with `updates` added at `indices` along `axis`;
 * repeated indices accumulate. `updates` has shape shape[:axis] + indices.shape + shape[axis+1:].
 */
export function scatterAdd(shape: readonly number[], indices: Tensor, updates: Tensor, axis = 0): Tensor {
  const a = resolveAxis('scatterAdd', axis, shape.length);
  const expected = [...shape.slice(0, a), ...indices.shape, ...shape.slice(a + 1)];
  if (
    updates.size !== sizeOf(expected) ||
    updates.rank !== expected.length ||
    updates.shape.some((d, i) => d !== expected[i])
  ) {
    throw new ShapeError(
      `scatterAdd: updates ${formatShape(updates.shape)} should be ${formatShape(expected)} for indices ${formatShape(indices.shape)} into ${formatShape(shape)}`,
    );
  }
  return tidy(() => {
    const idx = checkIndices('scatterAdd', indices, shape[a], `axis ${a} of ${formatShape(shape)}`);
    return runKernel('scatterAdd', [idx, updates], { axis: a, shape: [...shape] }, (b, i, u) =>
      b.scatterAdd(shape, i, u, a),
    );
  });
}

/** One-hot encoding along a new last axis of size `depth`; indices may be a tensor, a number or a list of numbers. */
export function oneHot(indices: Tensor | number | readonly number[], depth: number, dtype: DType = 'float32'): Tensor {
  if (!Number.isInteger(depth) || depth < 1)
    throw new ValueError(`oneHot: depth should be a positive integer, got ${depth}`);
  return tidy(() => {
    const given =
      typeof indices === 'number' || Array.isArray(indices)
        ? tensor(indices as number | number[], { dtype: 'int32' })
        : (indices as Tensor);
    const idx = checkIndices('oneHot', given, depth, 'a one-hot depth');
    const values = hostValues(idx);
    if (!values) {
      // On the device: index == [0, depth) along a new last axis.
      const classes = new Tensor(
        idx.backend.fromValues(
          Int32Array.from({ length: depth }, (_, i) => i),
          [depth],
          'int32',
        ),
        idx.backend,
      );
      return cast(equal(unsqueeze(idx, -1), classes), dtype);
    }
    const out = new Uint8Array(values.length * depth);
    for (let i = 0; i < values.length; i++) out[i * depth + values[i]] = 1;
    const data = allocTypedArray(dtype, out.length);
    data.set(out);
    return new Tensor(idx.backend.fromValues(data, [...idx.shape, depth], dtype), idx.backend);
  });
}
