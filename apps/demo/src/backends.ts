import { JsBackend } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { type Backend, ready, registerBackend, setBackend } from '@recur/tensor';
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
  const tfjs = new TfjsBackend({ backend: name === 'tfjs' ? 'cpu' : 'wasm' });
  registerBackend(name, () => tfjs);
  setBackend(name);
  return ready();
}
