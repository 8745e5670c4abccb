import { lmWindows } from '@recur/data';
import { getBackend, manualSeed, numTensors, Rng, setBackend } from '@recur/tensor';
import { Adam, crossEntropy, EarlyStopping, ExponentialLR, fit, RecurrentLM, StateCarry } from '@recur/train';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendNamed } from './backends';

/**
 * The training loop a character language model uses (the demo's): windows of one token stream
 * for truncated BPTT with the state carried across windows, gradient clipping, a validation pass
 * and a learning-rate schedule each epoch, a callback. Over 2,000 batches the live-tensor count
 * must not move: a leak of even one tensor per batch would show as 2,000.
 */
describe('fit holds no tensors between batches', () => {
  for (const name of ['js', 'tfjs-cpu']) {
    it(`2,000 batches on ${name}: recur's live-tensor count (and tf.memory()) stay flat`, async () => {
      const previous = getBackend();
      setBackend(await backendNamed(name));
      try {
        manualSeed(3);
        const rng = new Rng(3);
        const stream = Array.from({ length: 4 * 8 * 250 + 1 }, () => rng.int(20));
        const lm = new RecurrentLM({ vocabSize: 20, embeddingDim: 8, hiddenSize: 16, cell: 'LSTM' });
        const optimizer = new Adam(lm.parameters(), { lr: 0.005 });
        const carry = new StateCarry();
        const run = (epochs: number) =>
          fit({
            model: lm,
            optimizer,
            epochs,
            train: () => lmWindows(stream, { batchSize: 4, seqLen: 8 }),
            validation: () => [...lmWindows(stream.slice(0, 257), { batchSize: 4, seqLen: 8 })],
            loss: (w) => {
              const out = lm.forward(w.x, carry.take(w.index === 0));
              carry.put(out.state);
              const loss = crossEntropy(out.logits, w.y);
              w.x.dispose();
              w.y.dispose();
              return loss;
            },
            clipGradNorm: 1,
            schedule: new ExponentialLR(optimizer, 0.99),
            callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 100 })],
          });
        await run(1); // optimizer buffers and the carried state exist from here on
        const before = numTensors();
        const tfBefore = name === 'js' ? 0 : tf.memory().numTensors;
        const h = await run(8);
        expect(h.steps).toBe(2000);
        expect(numTensors()).toBe(before);
        if (name !== 'js') expect(tf.memory().numTensors).toBe(tfBefore);
        expect(h.history.loss.at(-1)).toBeLessThan(h.history.loss[0]);
        carry.reset();
        optimizer.dispose();
        lm.dispose();
      } finally {
        setBackend(previous);
      }
    }, 600_000);
  }
});
