import { ConfigError, DTypeError, ones, ShapeError, tensor, zeros } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Dropout, GRU, Input, LSTM, SimpleRNN } from '../index';

describe('bad input to Keras-door layers gets a clear error naming the layer, the tensor and both shapes', () => {
  it('wrong rank', () => {
    expect(() => new LSTM({ units: 2, name: 'k' }).forward(zeros([5, 4]))).toThrow(
      /k: input should be \[batch, time, features\], got \[5, 4\]/,
    );
  });

  it('mismatched initial state', () => {
    const k = new GRU({ units: 3, name: 'kgru' });
    expect(() => k.forward(zeros([2, 5, 4]), { initialState: [zeros([2, 4])] })).toThrow(
      'kgru: initial state 0 should be [2, 3] for input [2, 5, 4], got [2, 4]',
    );
  });

  it('Keras setWeights with the wrong count or shapes', () => {
    const s = new SimpleRNN({ units: 2, name: 'srnn' });
    expect(() => s.setWeights([ones([3, 2]), ones([2, 2])])).toThrow(
      /srnn.setWeights: expected 3 arrays \(kernel \[3, 2\], recurrent_kernel \[2, 2\], bias \[2\]\), got 2/,
    );
    expect(() => s.setWeights([ones([3, 2]), ones([3, 2]), ones([2])])).toThrow(
      /'recurrent_kernel' has shape \[3, 2\], expected \[2, 2\]/,
    );
  });

  it('int32 or bool input to SimpleRNN / LSTM / GRU is a DTypeError naming the layer, dtype and shape', () => {
    const ids = tensor([[[1, 2, 3, 0]]], { dtype: 'int32' });
    for (const input of [ids, tensor([[[1, 0, 1, 1]]], { dtype: 'bool' })]) {
      for (const Layer of [SimpleRNN, LSTM, GRU]) {
        const k = new Layer({ units: 2, name: 'k' });
        expect(() => k.apply(input)).toThrow(DTypeError);
        expect(() => k.apply(input)).toThrow(
          `k: expected a float32 input [batch, time, features], got ${input.dtype} [1, 1, 4]`,
        );
      }
    }
  });

  it('a rate outside [0, 1) is a ConfigError naming the layer and the value', () => {
    expect(() => new Dropout({ rate: 1.5, name: 'drop' })).toThrow(ConfigError);
    expect(() => new Dropout({ rate: 1.5, name: 'drop' })).toThrow('drop: rate must be a number in [0, 1), got 1.5');
    expect(() => new LSTM({ units: 2, dropout: 1.5, name: 'l' })).toThrow(/l_cell: dropout must be .* got 1\.5/);
    expect(() => new GRU({ units: 2, recurrentDropout: -0.1, name: 'g' })).toThrow(
      /g_cell: recurrentDropout must be .* got -0\.1/,
    );
  });

  it('a Keras LSTM built for one feature size and called with another is a ShapeError with both sizes', () => {
    const k = new LSTM({ units: 2, name: 'enc' });
    k.apply(zeros([1, 3, 4]));
    expect(() => k.apply(zeros([1, 3, 5]))).toThrow(ShapeError);
    expect(() => k.apply(zeros([1, 3, 5]))).toThrow('enc: built for 4 input features, got input with 5 ([1, 3, 5])');
    expect(() => k.apply(Input({ shape: [null, 6] }))).toThrow(/enc: built for 4 input features, got input with 6/);
  });
});
