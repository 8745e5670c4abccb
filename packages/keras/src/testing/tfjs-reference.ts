import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TfjsBackend } from '@recur/backend-tfjs';
import type { Tensor } from '@recur/tensor';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Test helper: tfjs-layers 4.22 as the reference implementation. Layers are built there with the
 * same weights as recur's, and their outputs compared.
 */
export { tf, tfl };

let ready: Promise<void> | null = null;

/** Selects tfjs' CPU backend once (quietly), through backend-tfjs' start-up. */
export function tfjsReady(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('IS_TEST', true);
    await new TfjsBackend({ backend: 'cpu' }).init();
  })();
  return ready;
}

/** A recur tensor as a tfjs tensor (float32 unless it is int32). */
export function toTf(t: Tensor): tf.Tensor {
  const dtype = t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32';
  return tf.tensor(Array.from(t.dataSync() as ArrayLike<number>), [...t.shape], dtype);
}

/** The largest absolute difference between a recur tensor and a tfjs tensor of the same shape. */
export function maxDiffTf(a: Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: [${a.shape}] vs [${b.shape}]`);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Number(x[i]) - Number(y[i])));
  return m;
}

/** Copies recur weights (Keras order) into a built tfjs layer or model. */
export function copyWeights(weights: Tensor[], into: tfl.layers.Layer | tfl.LayersModel): void {
  into.setWeights(weights.map(toTf));
}
