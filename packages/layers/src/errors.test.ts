import { DTypeError, ones, randomNormal, tensor, ValueError, zeros } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Embedding } from './embedding';
import { LSTM } from './recurrent/torch-modules';

describe('bad input gets a clear error naming the layer, the tensor and both shapes', () => {
  const lstm = new LSTM(4, 3, { batchFirst: true, name: 'encoder' });

  it('wrong feature size', () => {
    expect(() => lstm.forward(zeros([2, 5, 6]))).toThrow(
      'encoder: input has 6 features, expected inputSize 4 (input [2, 5, 6])',
    );
  });

  it('wrong rank', () => {
    expect(() => lstm.forward(zeros([5, 4]))).toThrow(
      /encoder: input should have rank 3 \[batch, time, features\], got \[5, 4\]/,
    );
  });

  it('mismatched initial state', () => {
    expect(() => lstm.forward(zeros([2, 5, 4]), { h0: zeros([1, 3, 3]) })).toThrow(
      'encoder: h0 should be [1, 2, 3], got [1, 3, 3]',
    );
    expect(() => lstm.forward(zeros([2, 5, 4]), { c0: zeros([2, 2, 3]) })).toThrow(
      'encoder: c0 should be [1, 2, 3], got [2, 2, 3]',
    );
  });

  it('an index at or beyond the vocabulary size in Embedding', () => {
    const e = new Embedding(10, 4, { name: 'tokens' });
    expect(() => e.forward(tensor([[1, 10, 2]], { dtype: 'int32' }))).toThrow(
      'tokens: token id 10 at flat position 1 of [1, 3] is out of range for vocabulary size 10',
    );
    expect(() => e.forward(tensor([[1.5]]))).toThrow(
      /tokens: expected integer token ids \(int32\), got float32 \[1, 1\]/,
    );
  });

  it('a state dict with a missing, an extra or a mis-shaped tensor; nothing is changed', () => {
    const before = lstm.stateDict().weight_ih_l0.dataSync().slice();
    const good = Object.fromEntries(Object.entries(lstm.stateDict()).map(([k, v]) => [k, ones(v.shape)]));
    const { bias_hh_l0: _, ...missing } = good;
    expect(() => lstm.loadStateDict(missing)).toThrow("encoder.loadStateDict: missing 'bias_hh_l0' (expected [12])");
    expect(() => lstm.loadStateDict({ ...good, weight_ih_l1: ones([12, 3]) })).toThrow(
      "encoder.loadStateDict: unexpected 'weight_ih_l1' [12, 3]",
    );
    expect(() => lstm.loadStateDict({ ...good, weight_hh_l0: ones([12, 4]) })).toThrow(
      "encoder.loadStateDict: 'weight_hh_l0' has shape [12, 4], expected [12, 3]",
    );
    expect(Array.from(lstm.stateDict().weight_ih_l0.dataSync())).toEqual(Array.from(before));
    lstm.loadStateDict(missing, { strict: false });
    expect(lstm.stateDict().weight_ih_l0.dataSync()[0]).toBe(1);
  });

  it('sequence lengths out of range', () => {
    expect(() => lstm.forward(randomNormal([2, 5, 4]), { seqLengths: tensor([5, 6], { dtype: 'int32' }) })).toThrow(
      'encoder: seqLengths[1] = 6 is outside 1..5',
    );
  });

  it('int32 or bool input to RNN / LSTM / GRU is a DTypeError naming the layer, dtype and shape', () => {
    const ids = tensor([[[1, 2, 3, 0]]], { dtype: 'int32' });
    for (const input of [ids, tensor([[[1, 0, 1, 1]]], { dtype: 'bool' })]) {
      expect(() => lstm.forward(input)).toThrow(DTypeError);
      expect(() => lstm.forward(input)).toThrow(
        `encoder: expected a float input [1, 1, 4], got ${input.dtype} (token ids go through an Embedding first)`,
      );
    }
  });

  it('a rate outside [0, 1] is a ValueError naming the layer and the value', () => {
    expect(() => new LSTM(4, 3, { numLayers: 2, dropout: 1.5, name: 'torch' })).toThrow(ValueError);
    expect(() => new LSTM(4, 3, { numLayers: 2, dropout: 1.5, name: 'torch' })).toThrow(
      'torch: dropout must be a number in [0, 1], got 1.5',
    );
  });
});
