import { LSTM as TorchLSTM } from '@recur/layers';
import { clone, manualSeed, mul, numTensors, randomNormal, reshape, type Tensor, transpose } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, Sequential } from '../index';

const close = (a: Tensor, b: Tensor) => {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
};

describe("the Keras door's weights in the kernel's layout, converted once per weight version", () => {
  it('a predict after setWeights, a training step or loadStateDict sees the new weights', async () => {
    manualSeed(1);
    const model = new Sequential([new LSTM({ units: 6, inputShape: [5, 3] })]);
    const x = randomNormal([2, 5, 3]);
    const first = model.predict(x) as Tensor;
    // PyTorch's door on the same weights is the reference for each version.
    const torch = new TorchLSTM(3, 6, { batchFirst: true });
    const reference = () => {
      const [kernel, recurrent, bias] = model.getWeights();
      const state = torchState(kernel, recurrent, bias);
      torch.loadStateDict(state);
      for (const t of Object.values(state)) t.dispose();
      const out = torch.forward(x);
      return reshape(out.hN, [2, 6]);
    };
    expect(close(first, reference())).toBeLessThan(1e-6);

    const w = model.getWeights().map((t) => randomNormal(t.shape));
    model.setWeights(w);
    const second = model.predict(x) as Tensor;
    expect(close(second, reference())).toBeLessThan(1e-6);
    expect(close(second, first)).toBeGreaterThan(1e-3);

    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.trainOnBatch(x, randomNormal([2, 6]));
    const third = model.predict(x) as Tensor;
    expect(close(third, reference())).toBeLessThan(1e-6);
    expect(close(third, second)).toBeGreaterThan(1e-5);
    model.dispose();
    torch.dispose();
  });

  it('disposing the model frees the converted weights with it', () => {
    const before = numTensors();
    const model = new Sequential([new GRU({ units: 4, inputShape: [3, 2] })]);
    const x = randomNormal([1, 3, 2]);
    for (let i = 0; i < 3; i++) (model.predict(x) as Tensor).dispose();
    model.dispose();
    x.dispose();
    expect(numTensors()).toBe(before);
  });
});

/** A Keras LSTM's weights as PyTorch's state dict (gates i, f, c, o → i, f, g, o is the same order). */
function torchState(kernel: Tensor, recurrent: Tensor, bias: Tensor): Record<string, Tensor> {
  return {
    weight_ih_l0: transpose(kernel),
    weight_hh_l0: transpose(recurrent),
    bias_ih_l0: clone(bias),
    bias_hh_l0: mul(bias, 0),
  };
}
