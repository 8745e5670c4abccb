import { JsBackend } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { type Backend, registerBackend, setBackend } from '@recur/tensor';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

/** Backends the demo can train and run on; `ort` (onnxruntime) runs exported models only. */
export const TRAINING_BACKENDS = ['js', 'tfjs', 'tfjs-wasm'] as const;
export type TrainingBackend = (typeof TRAINING_BACKENDS)[number];

/** Makes `name` the active backend (TensorFlow.js starts its own backend first). */
export async function useBackend(name: TrainingBackend): Promise<Backend> {
  if (name === 'js') {
    registerBackend('js', () => new JsBackend());
    return setBackend('js');
  }
  const tfName = name === 'tfjs' ? 'cpu' : 'wasm';
  if (!(await tf.setBackend(tfName))) throw new Error(`TensorFlow.js backend '${tfName}' could not start`);
  await tf.ready();
  registerBackend(name, () => new TfjsBackend());
  return setBackend(name);
}
