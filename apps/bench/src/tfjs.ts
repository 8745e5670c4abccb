import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** Switches TensorFlow.js to `name` ('cpu' or 'wasm'); returns false when it cannot start. */
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<boolean> {
  try {
    if (name === 'wasm') setThreadsCount(1);
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

export { tf };
