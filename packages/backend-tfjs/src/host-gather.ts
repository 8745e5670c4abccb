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
  const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  return [product(shape.slice(0, axis)), shape[axis], product(shape.slice(axis + 1))];
}

function checkIndex(i: number, length: number, axis: number): void {
  if (!(i >= 0 && i < length)) {
    throw new Error(`backend tfjs: gather index ${i} is outside [0, ${length}) on axis ${axis}`);
  }
}

/** x gathered at `indices` along `axis`: [...x.shape[:axis], ...indices.shape, ...x.shape[axis + 1:]]. */
export function gatherOnHost(x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  return gatherIndices(x, indices.dataSync() as Int32Array, indices.shape, axis);
}

/** Rows of a tensor picked by an index array (axis 0), on the host where tensors live there. */
export function gatherRows<R extends tf.Tensor>(x: R, index: Int32Array): R {
  return (onHost() && x.dtype !== 'bool' ? gatherIndices(x, index, [index.length], 0) : tf.gather(x, index)) as R;
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
