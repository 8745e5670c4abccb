import { getBackend, manualSeed, numTensors, registerBackend, setBackend, tensor } from '@recur/tensor';
import { Adam, crossEntropy, fit, RecurrentLM, StateCarry } from '@recur/train';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendNamed } from './backends';

describe('backend-tfjs', () => {
  it('1,000 training steps leave tf.memory().numTensors and recur’s count where they started', async () => {
    const tfjs = await backendNamed('tfjs-cpu');
    const previous = getBackend();
    registerBackend('tfjs', () => tfjs);
    setBackend('tfjs');
    try {
      manualSeed(1);
      const lm = new RecurrentLM({ vocabSize: 7, embeddingDim: 3, hiddenSize: 5, cell: 'LSTM' });
      const optimizer = new Adam(lm.parameters(), { lr: 0.01 });
      const x = tensor(
        [
          [1, 2, 3, 4],
          [4, 3, 2, 1],
        ],
        { dtype: 'int32' },
      );
      const y = tensor(
        [
          [2, 3, 4, 5],
          [3, 2, 1, 0],
        ],
        { dtype: 'int32' },
      );
      const carry = new StateCarry();
      const step = async (n: number) =>
        fit({
          model: lm,
          optimizer,
          epochs: 1,
          train: () => Array.from({ length: n }, (_, i) => i),
          loss: (i) => {
            const out = lm.forward(x, carry.take(i % 25 === 0));
            carry.put(out.state);
            return crossEntropy(out.logits, y);
          },
        });
      await step(1); // buffers and carried state exist from here on
      const tfBefore = tf.memory().numTensors;
      const before = numTensors();
      const h = await step(1000);
      expect(tf.memory().numTensors).toBe(tfBefore);
      expect(numTensors()).toBe(before);
      expect(h.history.loss[0]).toBeLessThan(2);
      // Weights move between backends with the model.
      lm.to('js');
      expect(lm.parameters()[0].value.backend.name).toBe('js');
    } finally {
      setBackend(previous);
    }
  }, 300_000);
});
