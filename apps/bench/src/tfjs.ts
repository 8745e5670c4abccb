import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { TfjsBackend } from '@recur/backend-tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** Switches TensorFlow.js to `name` ('cpu' or 'wasm'), through backend-tfjs' start-up; false when it cannot start. */
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<boolean> {
  if (name === 'wasm') setThreadsCount(1);
  return new TfjsBackend({ backend: name })
    .init()
    .then(() => true)
    .catch(() => false);
}

export { tf };
