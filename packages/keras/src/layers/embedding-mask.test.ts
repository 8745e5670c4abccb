import { padSequences } from '@recur/data';
import { Sequential as LayerStack } from '@recur/layers';
import { slice, type Tensor, tensor, tidy } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Embedding, LSTM } from '../index';

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('Keras masking from Embedding(maskZero)', () => {
  it('pre-padded ids through Embedding → LSTM give what the unpadded ids give', () => {
    const ids = [
      [3, 1, 4, 1, 5],
      [9, 2],
      [6, 5, 3],
    ];
    const emb = new Embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const lstm = new LSTM({ units: 4 });
    const model = new LayerStack([emb, lstm]);
    tidy(() => {
      const batch = model.forward(padSequences(ids));
      ids.forEach((seq, b) => {
        const alone = model.forward(tensor([seq], { dtype: 'int32' }));
        expect(maxDiff(slice(batch, [b, 0], [1, -1]), alone)).toBeLessThan(1e-6);
      });
    });
  });
});
