import { manualSeed, type Tensor, tensor, tidy, transpose, UnsupportedError } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Bidirectional, Dense, Embedding, GRU, LSTM, SimpleRNN, TimeDistributed } from '../layers';
import type { Model } from '../model';
import { Sequential } from '../sequential';
import { fromTorchForm, toTorchForm } from './torch-form';

const ids = () =>
  tensor(
    [
      [3, 5, 1, 0, 0],
      [2, 2, 7, 9, 4],
    ],
    { dtype: 'int32' },
  );

function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  return Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
}

const builders: [string, () => Model][] = [
  [
    'Embedding(maskZero) → Bidirectional(LSTM, seq) → TimeDistributed(Dense softmax)',
    () =>
      new Sequential([
        new Embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [null] }),
        new Bidirectional(new LSTM({ units: 3, returnSequences: true })),
        new TimeDistributed(new Dense({ units: 2, activation: 'softmax' })),
      ]),
  ],
  [
    'Embedding → GRU (resetAfter) → Dense',
    () =>
      new Sequential([
        new Embedding({ inputDim: 10, outputDim: 4, inputShape: [null] }),
        new GRU({ units: 5 }),
        new Dense({ units: 3 }),
      ]),
  ],
  [
    'Embedding → SimpleRNN → Dense sigmoid',
    () =>
      new Sequential([
        new Embedding({ inputDim: 10, outputDim: 4, inputShape: [null] }),
        new SimpleRNN({ units: 5 }),
        new Dense({ units: 1, activation: 'sigmoid' }),
      ]),
  ],
];

describe("Keras-door chains in PyTorch's form (python/recur_torch KerasChain)", () => {
  for (const [name, build] of builders) {
    it(`${name}: PyTorch names and layouts, and back to the same predictions`, () => {
      manualSeed(2);
      const a = build();
      manualSeed(9);
      const b = build();
      tidy(() => {
        const form = toTorchForm(a);
        for (const k of Object.keys(form.state))
          expect(k).toMatch(/^layers\.\d+\.(weight|bias|weight_ih_l0|weight_hh_l0|bias_ih_l0|bias_hh_l0)(_reverse)?$/);
        expect(maxDiff(a.predict(ids()) as Tensor, b.predict(ids()) as Tensor)).toBeGreaterThan(1e-4);
        fromTorchForm(b, form.state);
        expect(maxDiff(a.predict(ids()) as Tensor, b.predict(ids()) as Tensor)).toBeLessThan(1e-6);
      });
    });
  }

  it('PyTorch layouts: weight_ih [G·H, I] with gates i, f, g, o; Linear weight [out, in]', () => {
    manualSeed(4);
    const m = builders[0][1]();
    const { state, config } = toTorchForm(m);
    expect(state['layers.1.weight_ih_l0'].shape).toEqual([12, 4]);
    expect(state['layers.1.weight_hh_l0_reverse'].shape).toEqual([12, 3]);
    expect(state['layers.2.weight'].shape).toEqual([2, 6]);
    expect(config.layers.map((l) => l.type)).toEqual(['Embedding', 'LSTM', 'Dense']);
    // Keras gates i, f, c, o → PyTorch i, f, g, o: the same blocks in the same order for LSTM.
    const kernel = (m.layers[1] as Bidirectional).forwardLayer.getWeights()[0];
    expect(
      maxDiff(
        state['layers.1.weight_ih_l0'],
        tidy(() => transpose(kernel)),
      ),
    ).toBe(0);
  });

  it('refuses what PyTorch cannot express, naming the layer', () => {
    const gru = new Sequential([new GRU({ units: 3, resetAfter: false, inputShape: [4, 2] })]);
    expect(() => toTorchForm(gru)).toThrow(UnsupportedError);
    expect(() => toTorchForm(gru)).toThrow(/resetAfter false has no PyTorch form/);
    const relu = new Sequential([new LSTM({ units: 3, activation: 'relu', inputShape: [4, 2] })]);
    expect(() => toTorchForm(relu)).toThrow(/tanh \/ sigmoid activations, this one has relu/);
  });
});
