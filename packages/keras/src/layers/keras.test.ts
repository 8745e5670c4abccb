import { gradcheck, valueAndGrads, valueAndGradsOf } from '@recur/autograd';
import { initializer } from '@recur/layers';
import {
  add,
  matMul,
  mean,
  mul,
  numTensors,
  ones,
  randomNormal,
  randomUniform,
  square,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  tidy,
  transpose,
} from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Bidirectional, Cell, Dropout, GRU, Layer, LSTM, RNN, SimpleRNN } from '../index';

const asT = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r[0] : r);

function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** The textbook custom cell: h' = tanh(x·W + h·U + b). */
class MinimalRNNCell extends Cell {
  readonly stateSize = [4];
  readonly outputSize = 4;
  override build(inputShape: readonly (number | null)[]): void {
    if (this.parameters().length) return;
    const n = inputShape[inputShape.length - 1] as number;
    this.addWeight('kernel', randomNormal([n, 4], 0, 0.5, { seed: 1 }));
    this.addWeight('recurrent', randomNormal([4, 4], 0, 0.5, { seed: 2 }));
    this.addWeight('bias', tensor([0, 0, 0, 0]));
  }
  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const out = tanh(
      add(add(matMul(x, this.weight('kernel')), matMul(h, this.weight('recurrent'))), this.weight('bias')),
    );
    return [out, [out]];
  }
}

describe('RNN(cell) with a user-written cell', () => {
  it('trains: plain gradient descent lowers the loss on a fixed batch', () => {
    const rnn = new RNN(new MinimalRNNCell(), { returnSequences: false });
    const x = randomUniform([8, 5, 3], -1, 1, { seed: 3 });
    const target = randomUniform([8, 4], -0.5, 0.5, { seed: 4 });
    const params = () => rnn.trainableParameters();
    const step = () => {
      const ps = params();
      const { value, grads } = valueAndGradsOf(
        () => mean(square(sub(rnn.forward(x) as Tensor, target))),
        ps.map((p) => p.value),
      );
      ps.forEach((p, i) => p.assign(sub(p.value, mul(grads[i], 0.5))));
      const l = value.item();
      value.dispose();
      for (const g of grads) g.dispose();
      return l;
    };
    const first = step();
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    expect(last).toBeLessThan(first * 0.5);
  });

  it('its gradients pass gradcheck', () => {
    tidy(() => {
      const x = randomUniform([2, 3, 3], -1, 1, { seed: 5, dtype: 'float64' });
      const init = [
        randomNormal([3, 4], 0, 0.5, { seed: 1, dtype: 'float64' }),
        randomNormal([4, 4], 0, 0.5, { seed: 2, dtype: 'float64' }),
        randomNormal([4], 0, 0.5, { seed: 3, dtype: 'float64' }),
      ];
      // A fresh cell per evaluation whose parameters are the tensors gradcheck perturbs.
      const f = (input: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor) => {
        const cell = new MinimalRNNCell();
        cell.addWeight('kernel', kernel);
        cell.addWeight('recurrent', recurrent);
        cell.addWeight('bias', bias);
        return new RNN(cell, { returnSequences: true }).forward(input) as Tensor;
      };
      const r = gradcheck(f as (...t: Tensor[]) => Tensor, [x, ...init]);
      expect(r.ok, r.worst).toBe(true);
    });
  });
});

describe('built-in Keras layers: fused kernel against the step-by-step cell', () => {
  const x = randomUniform([4, 5, 4], -1, 1, { seed: 7 });
  // Post-padding, pre-padding (Keras' default) and a hole in the middle.
  const mask = tensor(
    [
      [1, 1, 1, 1, 1],
      [1, 1, 0, 0, 0],
      [0, 0, 1, 1, 1],
      [1, 0, 1, 1, 0],
    ],
    { dtype: 'bool' },
  );
  const variants = [
    ['SimpleRNN', (o: object) => new SimpleRNN({ units: 6, ...o })],
    ['LSTM', (o: object) => new LSTM({ units: 6, ...o })],
    ['GRU resetAfter', (o: object) => new GRU({ units: 6, ...o })],
    ['GRU classic', (o: object) => new GRU({ units: 6, resetAfter: false, ...o })],
  ] as const;
  for (const [name, make] of variants) {
    for (const goBackwards of [false, true]) {
      for (const [masked, zeroOutput] of [
        [false, false],
        [true, false],
        [true, true],
      ] as const) {
        it(`${name}${goBackwards ? ' goBackwards' : ''}${masked ? ' masked' : ''}${zeroOutput ? ' zeroOutputForMask' : ''}: same outputs, states and gradients`, () => {
          const opts = {
            returnSequences: true,
            returnState: true,
            goBackwards,
            biasInitializer: { name: 'uniform' as const, minval: -0.5, maxval: 0.5 },
          };
          const fused = make({ ...opts, fused: true });
          const steps = make({ ...opts, fused: false });
          fused.build(x.shape);
          steps.build(x.shape);
          steps.setWeights(fused.getWeights());
          fused.zeroOutputForMask = zeroOutput;
          steps.zeroOutputForMask = zeroOutput;
          tidy(() => {
            const call = masked ? { mask } : {};
            const a = fused.forward(x, call) as Tensor[];
            const b = steps.forward(x, call) as Tensor[];
            a.forEach((t, i) => expect(maxDiff(t, b[i])).toBeLessThan(1e-6));
            const loss = (layer: typeof fused) => () => {
              const outs = layer.forward(x, call) as Tensor[];
              return outs.reduce((acc: Tensor, t, i) => add(acc, sum(mul(t, i + 1))), tensor(0));
            };
            const ga = valueAndGradsOf(
              loss(fused),
              fused.parameters().map((p) => p.value),
            ).grads;
            const gb = valueAndGradsOf(
              loss(steps),
              steps.parameters().map((p) => p.value),
            ).grads;
            ga.forEach((g, i) => expect(maxDiff(g, gb[i])).toBeLessThan(1e-5));
          });
        });
      }
    }
  }

  it('masked steps keep the state and repeat the last output (Keras), whatever the padding side', () => {
    tidy(() => {
      const l = new SimpleRNN({ units: 3, returnSequences: true, returnState: true });
      const [seq, h] = l.forward(x, { mask }) as Tensor[];
      // Row 2 is pre-padded: zeros until its first real step; the same as running the real steps alone.
      const alone = l.forward(slice(x, [2, 2, 0], [1, 3, -1])) as Tensor[];
      expect(maxDiff(slice(seq, [2, 0, 0], [1, 2, -1]), tensor(new Array(6).fill(0), { shape: [1, 2, 3] }))).toBe(0);
      expect(maxDiff(slice(seq, [2, 2, 0], [1, 3, -1]), alone[0])).toBeLessThan(1e-6);
      expect(maxDiff(slice(h, [2, 0], [1, -1]), alone[1])).toBeLessThan(1e-6);
      // Row 1 is post-padded: its last real output repeats to the end.
      expect(maxDiff(slice(seq, [1, 4, 0], [1, 1, -1]), slice(seq, [1, 1, 0], [1, 1, -1]))).toBe(0);
    });
  });

  it('LSTM starts with a forget-gate bias of 1 (unitForgetBias) and Keras weight shapes', () => {
    const l = new LSTM({ units: 3 });
    l.build([null, null, 2]);
    const [k, r, b] = l.getWeights();
    expect(k.shape).toEqual([2, 12]);
    expect(r.shape).toEqual([3, 12]);
    expect(Array.from(b.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const g = new GRU({ units: 3 });
    g.build([null, null, 2]);
    expect(g.getWeights()[2].shape).toEqual([2, 9]);
    const gc = new GRU({ units: 3, resetAfter: false });
    gc.build([null, null, 2]);
    expect(gc.getWeights()[2].shape).toEqual([9]);
  });

  it('orthogonal recurrent kernels are orthogonal', () => {
    tidy(() => {
      const w = initializer('orthogonal')([4, 16], { seed: undefined } as never);
      const gram = matMul(w, transpose(w));
      const eye = tensor([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], { shape: [4, 4] });
      expect(maxDiff(gram, eye)).toBeLessThan(1e-5);
    });
  });
});

describe('stateful layers, dropout and Bidirectional', () => {
  it('stateful carries the final state into the next call until resetStates()', () => {
    const x = randomUniform([2, 6, 3], -1, 1, { seed: 8 });
    const whole = new LSTM({ units: 4, returnSequences: true });
    whole.build(x.shape);
    const halves = new LSTM({ units: 4, returnSequences: true, stateful: true });
    halves.build(x.shape);
    halves.setWeights(whole.getWeights());
    tidy(() => {
      const all = whole.forward(x) as Tensor;
      const first = halves.forward(x.constructor === Object ? x : sliceT(x, 0, 3)) as Tensor;
      const second = halves.forward(sliceT(x, 3, 3)) as Tensor;
      expect(maxDiff(sliceT(all, 3, 3), second)).toBeLessThan(1e-6);
      expect(maxDiff(sliceT(all, 0, 3), first)).toBeLessThan(1e-6);
      halves.resetStates();
      expect(maxDiff(halves.forward(sliceT(x, 0, 3)) as Tensor, first)).toBeLessThan(1e-7);
    });
  });

  it('dropout and recurrentDropout act in training only', () => {
    const x = randomUniform([4, 5, 3], -1, 1, { seed: 9 });
    const l = new GRU({ units: 5, dropout: 0.5, recurrentDropout: 0.5 });
    tidy(() => {
      l.eval();
      const a = l.forward(x) as Tensor;
      const b = l.forward(x) as Tensor;
      expect(maxDiff(a, b)).toBe(0);
      l.train();
      const c = l.forward(x) as Tensor;
      expect(maxDiff(a, c)).toBeGreaterThan(1e-3);
    });
  });

  it('a layer called outside fit runs in inference, as in Keras: dropout off unless training: true', () => {
    const x = randomUniform([4, 5, 3], -1, 1, { seed: 9 });
    tidy(() => {
      const l = new GRU({ units: 5, dropout: 0.5, recurrentDropout: 0.5 });
      const a = l.apply(x) as Tensor;
      expect(maxDiff(a, l.apply(x) as Tensor)).toBe(0);
      expect(maxDiff(a, l.apply(x, { training: true }) as Tensor)).toBeGreaterThan(1e-3);
      const drop = new Dropout({ rate: 0.5, seed: 3 });
      expect(Array.from(drop.apply(ones([64])).dataSync()).every((v) => v === 1)).toBe(true);
      const on = Array.from(drop.apply(ones([64]), { training: true }).dataSync());
      expect(on.filter((v) => v === 0).length).toBeGreaterThan(10);
      expect(on.every((v) => v === 0 || v === 2)).toBe(true);
    });
  });

  it("a custom layer may write Keras' call(inputs) instead of forward", () => {
    class Twice extends Layer {
      call(x: Tensor): Tensor {
        return mul(x, 2);
      }
    }
    class Nothing extends Layer {}
    tidy(() => {
      expect(Array.from((new Twice().apply([[1, 2]]) as Tensor).dataSync())).toEqual([2, 4]);
      expect(() => new Nothing({ name: 'nothing' }).apply([[1]])).toThrow(
        /nothing.*implements call\(inputs\) or forward/,
      );
    });
  });

  it('Bidirectional merge modes combine the two directions', () => {
    const x = randomUniform([2, 4, 3], -1, 1, { seed: 10 });
    tidy(() => {
      const concat = new Bidirectional(new SimpleRNN({ units: 2, returnSequences: true }));
      const y = concat.forward(x) as Tensor;
      expect(y.shape).toEqual([2, 4, 4]);
      for (const mode of ['sum', 'mul', 'ave'] as const) {
        const fwd = new SimpleRNN({ units: 2, returnSequences: true });
        const bi = new Bidirectional(fwd, { mergeMode: mode });
        bi.build(x.shape);
        bi.forwardLayer.setWeights(concat.forwardLayer.getWeights());
        bi.backwardLayer.setWeights(concat.backwardLayer.getWeights());
        const out = bi.forward(x) as Tensor;
        const f = sliceLast(y, 0, 2);
        const b = sliceLast(y, 2, 2);
        const want = mode === 'sum' ? add(f, b) : mode === 'mul' ? mul(f, b) : mul(add(f, b), 0.5);
        expect(maxDiff(out, want)).toBeLessThan(1e-6);
      }
    });
  });

  it('frees everything it does not return', () => {
    const x = randomUniform([2, 4, 3], -1, 1, { seed: 11 });
    const l = new Bidirectional(new LSTM({ units: 3, returnState: true }));
    l.build(x.shape);
    const before = numTensors();
    const outs = l.forward(x) as Tensor[];
    expect(outs).toHaveLength(5);
    expect(numTensors()).toBe(before + 5);
    for (const t of outs) t.dispose();
    expect(numTensors()).toBe(before);
    void valueAndGrads;
    void asT;
  });
});

import { slice } from '@recur/tensor';

function sliceT(x: Tensor, start: number, len: number): Tensor {
  return slice(x, [0, start, 0], [-1, len, -1]);
}

function sliceLast(x: Tensor, start: number, len: number): Tensor {
  return slice(x, [0, 0, start], [-1, -1, len]);
}

describe("tfjs' spellings of inputs and initial states", () => {
  it('Input takes a number for a one-axis shape', async () => {
    const { Input, Dense, Model } = await import('../index');
    const x = Input({ shape: 32 });
    expect(x.shape).toEqual([null, 32]);
    const m = new Model({ inputs: x, outputs: new Dense({ units: 2 }).apply(x) });
    expect((m.predict(randomUniform([3, 32], -1, 1, { seed: 1 })) as Tensor).shape).toEqual([3, 2]);
  });

  it('apply([x, h, c]) is apply(x, { initialState: [h, c] }), on tensors and in a graph', async () => {
    const { Input, Model } = await import('../index');
    const lstm = new LSTM({ units: 3 });
    const x = randomUniform([2, 4, 5], -1, 1, { seed: 2 });
    const h = randomUniform([2, 3], -1, 1, { seed: 3 });
    const c = randomUniform([2, 3], -1, 1, { seed: 4 });
    const want = lstm.apply(x, { initialState: [h, c] }) as Tensor;
    const got = lstm.apply([x, h, c]) as Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    expect(Array.from(got.dataSync())).not.toEqual(Array.from((lstm.apply(x) as Tensor).dataSync()));
    const [xi, hi, ci] = [Input({ shape: [4, 5] }), Input({ shape: [3] }), Input({ shape: [3] })];
    const model = new Model({ inputs: [xi, hi, ci], outputs: lstm.apply([xi, hi, ci]) });
    expect(Array.from((model.predict([x, h, c]) as Tensor).dataSync())).toEqual(Array.from(want.dataSync()));
  });
});

describe('the pieces tfjs-layers and Keras programs reach for', () => {
  it('weights, trainableWeights and nonTrainableWeights, in Keras order, with names, values and assign', async () => {
    const { Dense, Sequential } = await import('../index');
    const lstm = new LSTM({ units: 2, name: 'enc' });
    const model = new Sequential([lstm, new Dense({ units: 1, name: 'head' })]);
    model.build([null, 3, 4]);
    expect(lstm.weights.map((w) => [w.name, w.shape])).toEqual([
      ['enc/cell/kernel', [4, 8]],
      ['enc/cell/recurrent_kernel', [2, 8]],
      ['enc/cell/bias', [8]],
    ]);
    expect(lstm.weights.map((w) => w.value)).toEqual(lstm.getWeights());
    expect(model.trainableWeights).toHaveLength(5);
    lstm.trainable = false;
    expect(model.trainableWeights.map((w) => w.name)).toEqual([`${model.name}/head/kernel`, `${model.name}/head/bias`]);
    expect(lstm.nonTrainableWeights).toHaveLength(3);
    const [kernel] = lstm.weights;
    kernel.write(randomUniform([4, 8], -1, 1, { seed: 5 }));
    expect(Array.from(lstm.getWeights()[0].dataSync())).toEqual(Array.from(kernel.read().dataSync()));
    expect(() => kernel.assign(randomUniform([4, 7], -1, 1))).toThrow(
      /enc\/cell\/kernel: a value of \[4, 8\] is expected, got \[4, 7\]/,
    );
  });

  it('getInitialState gives zeros per state, for a batch of inputs or a size', () => {
    const lstm = new LSTM({ units: 3 });
    const x = randomUniform([2, 4, 5], -1, 1, { seed: 6 });
    lstm.apply(x);
    const states = lstm.getInitialState(x);
    expect(states.map((s) => s.shape)).toEqual([
      [2, 3],
      [2, 3],
    ]);
    expect(states.every((s) => s.dataSync().every((v) => v === 0))).toBe(true);
    expect(lstm.getInitialState(7)[0].shape).toEqual([7, 3]);
    expect(() => new LSTM({ units: 3 }).getInitialState(x)).toThrow(/not built yet/);
  });

  it("Bidirectional takes tfjs' { layer, mergeMode } and resets both directions' states", () => {
    const bi = new Bidirectional({
      layer: new GRU({ units: 2, stateful: true, batchInputShape: [1, 3, 2] }),
      mergeMode: 'sum',
    });
    expect(bi.mergeMode).toBe('sum');
    const x = randomUniform([1, 3, 2], -1, 1, { seed: 7 });
    const first = Array.from((bi.apply(x) as Tensor).dataSync());
    const carried = Array.from((bi.apply(x) as Tensor).dataSync());
    expect(carried).not.toEqual(first);
    bi.resetStates();
    expect(Array.from((bi.apply(x) as Tensor).dataSync())).toEqual(first);
    expect(() => bi.resetStates([randomUniform([1, 2])])).toThrow(/resetStates expected 2 state tensor\(s\)/);
  });
});

describe('mistakes are refused where Keras refuses them', () => {
  it('a wrong number of initial states, or a wrong state size, at apply', async () => {
    const { Input } = await import('../index');
    const x = Input({ shape: [4, 5] });
    const h = Input({ shape: [3] });
    expect(() => new LSTM({ units: 3 }).apply(x, { initialState: [h] })).toThrow(
      /expected 2 initial state tensor\(s\) \(one per cell state\), got 1/,
    );
    expect(() => new GRU({ units: 4 }).apply(x, { initialState: [h] })).toThrow(
      /initial state 0 should be \[batch, 4\], got \(None, 3\)/,
    );
    expect(() => new Bidirectional(new GRU({ units: 3 })).apply(x, { initialState: [h] })).toThrow(
      /expected 2 initial state tensor\(s\) \(the forward layer's, then the backward layer's\), got 1/,
    );
  });

  it('a stateful layer without a fixed batch size, when it is built', async () => {
    const { Input } = await import('../index');
    expect(() => new GRU({ units: 2, stateful: true }).apply(Input({ shape: [4, 5] }))).toThrow(
      /a stateful layer needs a fixed batch size/,
    );
  });
});
