import { sizeOf, ValueError } from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Gather and scatter-add done on the host for tfjs backends whose tensors already live in CPU
 * memory (cpu, wasm), where reading one back is a copy. tfjs-wasm's Gather kernel costs ~60 ns an
 * element (34 ms to unpack a packed LSTM output at B32 T64 H256) and scatter-add has no kernel at
 * all on wasm (it is written as a one-hot product, quadratic in the gathered length); a copy loop
 * takes about a millisecond for either. GPU backends keep the tfjs ops.
 */
export const onHost = (): boolean => {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
};

/** Split of a shape around `axis`: the product of the dims before it, its length, the product after. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function checkIndex(i: number, length: number, axis: number): void {
  if (!(i >= 0 && i < length)) {
    throw new ValueError(`backend tfjs: gather index ${i} is outside [0, ${length}) on axis ${axis}`);
  }
}

/**
 * x gathered at `indices` along `axis` ([...x.shape[:axis], ...indices.shape, ...x.shape[axis + 1:]]):
 * on the host where tensors live there, else tfjs' own gather.
 */
export function gather<R extends tf.Tensor>(x: R, indices: tf.Tensor | Int32Array, axis = 0): R {
  if (!onHost() || x.dtype === 'bool') return tf.gather(x, indices, axis) as R;
  return indices instanceof Int32Array
    ? (gatherIndices(x, indices, [indices.length], axis) as R)
    : (gatherIndices(x, indices.dataSync() as Int32Array, indices.shape, axis) as R);
}

function gatherIndices(x: tf.Tensor, idx: Int32Array, indexShape: readonly number[], axis: number): tf.Tensor {
  const [outer, length, inner] = around(x.shape, axis);
  const src = x.dataSync() as Float32Array | Int32Array;
  const n = idx.length;
  const out = new (src.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const i = idx[j];
      checkIndex(i, length, axis);
      const from = (o * length + i) * inner;
      out.set(src.subarray(from, from + inner), (o * n + j) * inner);
    }
  }
  const shape = [...x.shape.slice(0, axis), ...indexShape, ...x.shape.slice(axis + 1)];
  return tf.tensor(out, shape, x.dtype);
}

/** The inverse of gather: `updates` summed into zeros of `shape` at `indices` along `axis`. */
export function scatterAddOnHost(shape: readonly number[], indices: tf.Tensor, updates: tf.Tensor, axis: number) {
  const [outer, length, inner] = around(shape, axis);
  const upd = updates.dataSync() as Float32Array | Int32Array;
  const idx = indices.dataSync() as Int32Array;
  const n = idx.length;
  const out = new (upd.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const i = idx[j];
      checkIndex(i, length, axis);
      const to = (o * length + i) * inner;
      const from = (o * n + j) * inner;
      for (let k = 0; k < inner; k++) out[to + k] += upd[from + k];
    }
  }
  return tf.tensor(out, [...shape], updates.dtype);
}
