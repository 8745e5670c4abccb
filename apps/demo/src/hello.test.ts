import { describe, expect, it } from 'vitest';
import hello from '../../../fixtures/keras/keras_hello_rnn.json';
import { runHello } from './hello';

describe('hello SimpleRNN (Keras walk-through)', () => {
  const result = runHello();

  it('reproduces the hidden states and logits of the fixture', () => {
    hello.expected.hidden.forEach((row, t) => {
      row.forEach((v, j) => expect(result.hidden[t][j]).toBeCloseTo(v, 5));
    });
    hello.expected.logits.forEach((row, t) => {
      row.forEach((v, j) => expect(result.logits[t][j]).toBeCloseTo(v, 4));
    });
  });

  it('predicts e l l o <EOS>', () => {
    expect(result.predicted).toEqual(hello.expected.argmax_chars);
    expect(result.predicted.join(' ')).toBe('e l l o <EOS>');
  });
});
