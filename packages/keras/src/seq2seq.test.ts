import { argMax, dispose, manualSeed, oneHot, type Tensor, tensor, tidy } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import * as keras from './index';

/**
 * The Keras seq2seq recipe (keras.io "character-level recurrent sequence-to-sequence model") on a
 * toy task: reverse a string of 4 digits. Trained with teacher forcing through compile + fit, then
 * decoded greedily with separate encoder and decoder inference models that share the trained layers.
 */
const DIGITS = 10;
const START = 10;
const LEN = 4;
const UNITS = 64;

function sample(n: number, seed: number): number[][] {
  manualSeed(seed);
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % DIGITS;
  };
  return Array.from({ length: n }, () => Array.from({ length: LEN }, next));
}

function encode(rows: number[][]) {
  return tidy(() => {
    const enc = oneHot(tensor(rows, { dtype: 'int32' }), DIGITS);
    const reversed = rows.map((r) => [...r].reverse());
    // Teacher forcing: the decoder reads START then the answer so far, and predicts the next digit.
    const decIn = oneHot(
      tensor(
        reversed.map((r) => [START, ...r.slice(0, LEN - 1)]),
        { dtype: 'int32' },
      ),
      DIGITS + 1,
    );
    const target = tensor(reversed);
    return { enc, decIn, target, reversed };
  });
}

describe('encoder–decoder with the functional API (Keras seq2seq recipe)', () => {
  it('learns to reverse digit strings (≥ 99% token accuracy held out) and decodes with inference models', async () => {
    const encoderInputs = keras.Input({ shape: [null, DIGITS], name: 'encoder_inputs' });
    const [, stateH, stateC] = new keras.LSTM({ units: UNITS, returnState: true, name: 'encoder' }).apply(
      encoderInputs,
    );
    const decoderInputs = keras.Input({ shape: [null, DIGITS + 1], name: 'decoder_inputs' });
    const decoderLstm = new keras.LSTM({ units: UNITS, returnSequences: true, returnState: true, name: 'decoder' });
    const [decoded] = decoderLstm.apply(decoderInputs, { initialState: [stateH, stateC] });
    const dense = new keras.Dense({ units: DIGITS, activation: 'softmax', name: 'next_digit' });
    const model = new keras.Model({ inputs: [encoderInputs, decoderInputs], outputs: dense.apply(decoded) });
    model.compile({
      optimizer: keras.optimizers.adam({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });

    const train = encode(sample(3000, 1));
    const history = await model.fit([train.enc, train.decIn], train.target, {
      epochs: 12,
      batchSize: 64,
      validationSplit: 0.1,
      verbose: 0,
      seed: 2,
    });
    expect(history.history.val_accuracy.at(-1)).toBeGreaterThan(0.99);

    // Inference: the encoder gives the states; the decoder runs one step at a time from them.
    const encoderModel = new keras.Model({ inputs: encoderInputs, outputs: [stateH, stateC] });
    const hIn = keras.Input({ shape: [UNITS], name: 'h_in' });
    const cIn = keras.Input({ shape: [UNITS], name: 'c_in' });
    const [stepOut, h, c] = decoderLstm.apply(decoderInputs, { initialState: [hIn, cIn] });
    const decoderModel = new keras.Model({ inputs: [decoderInputs, hIn, cIn], outputs: [dense.apply(stepOut), h, c] });
    expect(decoderModel.countParams() + encoderModel.countParams()).toBe(model.countParams());

    const test = encode(sample(500, 99));
    let [hs, cs] = encoderModel.predict(test.enc) as Tensor[];
    let token = tidy(() => oneHot(tensor(Array(500).fill([START]), { dtype: 'int32' }), DIGITS + 1));
    const guesses: number[][] = Array.from({ length: 500 }, () => []);
    for (let step = 0; step < LEN; step++) {
      const [probs, h2, c2] = decoderModel.predict([token, hs, cs]) as Tensor[];
      const best = tidy(() => argMax(probs, -1));
      const ids = Array.from(best.dataSync());
      ids.forEach((d, i) => guesses[i].push(d));
      dispose([token, hs, cs, probs]);
      token = tidy(() => oneHot(best, DIGITS + 1));
      best.dispose();
      hs = h2;
      cs = c2;
    }
    dispose([token, hs, cs]);
    let right = 0;
    guesses.forEach((g, i) => g.forEach((d, t) => (right += d === test.reversed[i][t] ? 1 : 0)));
    const accuracy = right / (500 * LEN);
    console.log(`seq2seq reverse: greedy token accuracy ${(accuracy * 100).toFixed(2)}% on 500 held-out strings`);
    expect(accuracy).toBeGreaterThanOrEqual(0.99);
    dispose([train.enc, train.decIn, train.target, test.enc, test.decIn, test.target]);
  }, 300_000);
});
