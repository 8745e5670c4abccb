/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers calls tensor methods (t.flatten()) that the full @tensorflow/tfjs registers.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { TfjsBackend } from '@recur/backend-tfjs';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The Train page's model (Embedding → LSTM → Dense, softmax cross-entropy, Adam) on tfjs-layers,
 * in a Worker as the Train page trains: tokens per second of `steps` training steps after two
 * warm-up steps, on TensorFlow.js' WebGL backend (where the Worker has it) or its CPU backend.
 * (tfjs-wasm cannot train an Embedding: it has no UnsortedSegmentSum kernel.)
 */
export interface BenchRequest {
  vocab: number;
  embedding: number;
  hidden: number;
  seqLen: number;
  batch: number;
  steps: number;
  /** TensorFlow.js backend: 'webgl' (falls back to 'cpu' where the Worker has no WebGL) or 'cpu'. */
  backend: 'webgl' | 'cpu';
}

export interface BenchResult {
  library: string;
  backend: string;
  tokensPerSecond: number;
}

self.onmessage = async (e: MessageEvent<BenchRequest>) => {
  const r = e.data;
  try {
    // TensorFlow.js' start-up, as backend-tfjs does it: WebGL where asked and it starts, else its CPU backend.
    await new TfjsBackend({ backend: r.backend === 'webgl' ? ['webgl', 'cpu'] : 'cpu' }).init();
    const model = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: r.vocab, outputDim: r.embedding, inputLength: r.seqLen }),
        tfl.layers.lstm({ units: r.hidden, returnSequences: true, recurrentActivation: 'sigmoid' }),
        tfl.layers.dense({ units: r.vocab }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    const ids = Array.from({ length: r.batch * r.seqLen }, (_, i) => (i * 7919) % r.vocab);
    const next = ids.map((v) => (v + 1) % r.vocab);
    const x = tf.tensor2d(ids, [r.batch, r.seqLen], 'float32');
    const y = tf.tensor3d(next, [r.batch, r.seqLen, 1], 'float32');
    let started = 0;
    for (let step = 0; step < r.steps + 2; step++) {
      if (step === 2) started = performance.now();
      await model.trainOnBatch(x, y);
    }
    const seconds = (performance.now() - started) / 1000;
    const result: BenchResult = {
      library: 'tfjs-layers 4.22',
      backend: tf.getBackend(),
      tokensPerSecond: (r.steps * r.batch * r.seqLen) / seconds,
    };
    tf.dispose([x, y]);
    model.dispose();
    (self as unknown as Worker).postMessage({ ok: true, result });
  } catch (err) {
    (self as unknown as Worker).postMessage({ ok: false, message: (err as Error).message });
  }
};
