import { packPaddedSequence, padPackedSequence, padSequences } from '@recur/data';
import { numTensors, randomUniform, slice, type Tensor, tensor, tidy } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { keras } from './index';
import { GRU, LSTM, RNN } from './recurrent/torch-recurrent';
import { Sequential } from './sequential';

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

const lengths = [5, 2, 4];
const x = randomUniform([3, 5, 3], -1, 1, { seed: 21 });

describe('PyTorch-style layers on a PackedSequence', () => {
  for (const [name, make] of [
    ['RNN 2 layers', () => new RNN(3, 4, { batchFirst: true, numLayers: 2 })],
    ['LSTM bidirectional', () => new LSTM(3, 4, { batchFirst: true, bidirectional: true })],
    ['GRU bidirectional 2 layers', () => new GRU(3, 4, { batchFirst: true, bidirectional: true, numLayers: 2 })],
  ] as const) {
    it(`${name}: each sequence gives what it gives alone; h_n at its own last token`, () => {
      const layer = make();
      tidy(() => {
        const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
        const r = layer.forward(packed);
        expect(r.output.batchSizes).toEqual(packed.batchSizes);
        const { output } = padPackedSequence(r.output, { batchFirst: true });
        lengths.forEach((len, b) => {
          const alone = layer.forward(slice(x, [b, 0, 0], [1, len, -1]));
          expect(maxDiff(slice(output, [b, 0, 0], [1, len, -1]), alone.output)).toBeLessThan(1e-6);
          expect(maxDiff(slice(r.hN, [0, b, 0], [-1, 1, -1]), alone.hN)).toBeLessThan(1e-6);
          if (len < 5) {
            // Outputs past a sequence's end are padding (zeros).
            const padding = slice(output, [b, len, 0], [1, 5 - len, -1]);
            expect(Array.from(padding.dataSync()).every((v) => v === 0)).toBe(true);
          }
        });
      });
    });
  }

  it('leaves no temporaries behind', () => {
    const layer = new LSTM(3, 4, { batchFirst: true });
    const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
    const before = numTensors();
    const r = layer.forward(packed);
    r.output.dispose();
    r.hN.dispose();
    r.cN?.dispose();
    expect(numTensors()).toBe(before);
  });
});

describe('Keras masking from Embedding(maskZero)', () => {
  it('pre-padded ids through Embedding → LSTM give what the unpadded ids give', () => {
    const ids = [
      [3, 1, 4, 1, 5],
      [9, 2],
      [6, 5, 3],
    ];
    const emb = new keras.Embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const lstm = new keras.LSTM({ units: 4 });
    const model = new Sequential([emb, lstm]);
    tidy(() => {
      const batch = model.forward(padSequences(ids));
      ids.forEach((seq, b) => {
        const alone = model.forward(tensor([seq], { dtype: 'int32' }));
        expect(maxDiff(slice(batch, [b, 0], [1, -1]), alone)).toBeLessThan(1e-6);
      });
    });
  });
});
