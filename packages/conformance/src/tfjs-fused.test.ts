import { valueAndGradsOf } from '@recur/autograd';
import { GRU, LSTM, RNN } from '@recur/layers';
import {
  add,
  getBackend,
  mul,
  randomNormal,
  registerBackend,
  setBackend,
  sum,
  type Tensor,
  tensor,
  tidy,
  toBackend,
} from '@recur/tensor';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendNamed } from './backends';

describe("backend-tfjs' fused sequence kernel", () => {
  for (const [name, Make] of [
    ['RNN', RNN],
    ['LSTM', LSTM],
    ['GRU', GRU],
  ] as const) {
    for (const bidirectional of [false, true]) {
      for (const withLengths of [false, true]) {
        it(`${name}${bidirectional ? ' bidirectional' : ''}${withLengths ? ' with lengths' : ''} equals backend-js and frees every tfjs tensor`, async () => {
          const tfjs = await backendNamed('tfjs-wasm');
          registerBackend('tfjs', () => tfjs);
          const previous = getBackend();
          const layer = new Make(3, 4, { batchFirst: true, bidirectional, numLayers: 2 });
          const x = randomNormal([3, 5, 3], 0, 1, { seed: 4 });
          const lengths = tensor([5, 2, 4], { dtype: 'int32' });
          const want = layer.forward(x, withLengths ? { seqLengths: lengths } : {});
          layer.to('tfjs');
          setBackend('tfjs');
          try {
            const xt = toBackend(x, getBackend());
            const lt = toBackend(lengths, getBackend());
            const before = tf.memory().numTensors;
            const got = tidy(() => {
              const r = layer.forward(xt, withLengths ? { seqLengths: lt } : {});
              return [Array.from(r.output.dataSync()), Array.from(r.hN.dataSync())];
            });
            expect(tf.memory().numTensors).toBe(before);
            const ref = [Array.from(want.output.dataSync()), Array.from(want.hN.dataSync())];
            got.forEach((g, k) => expect(Math.max(...g.map((v, i) => Math.abs(v - ref[k][i])))).toBeLessThan(1e-5));
            // Training: the fused backward gives backend-js's gradients (parameters and input).
            const gradsOn = (input: Tensor, lens: Tensor) =>
              tidy(() => {
                const params = layer.parameters().map((p) => p.value);
                const { grads } = valueAndGradsOf(() => {
                  const r = layer.forward(input, withLengths ? { seqLengths: lens } : {});
                  const w = randomNormal(r.output.shape, 0, 1, { seed: 9 });
                  return add(sum(mul(r.output, toBackend(w, getBackend()))), sum(r.hN));
                }, [...params, input]);
                return grads.map((g) => Array.from(g.dataSync()));
              });
            const beforeGrad = tf.memory().numTensors;
            const tfGrads = gradsOn(xt, lt);
            expect(tf.memory().numTensors).toBe(beforeGrad);
            layer.to('js');
            setBackend(previous);
            const jsGrads = gradsOn(x, lengths);
            tfGrads.forEach((g, k) =>
              expect(Math.max(...g.map((v, i) => Math.abs(v - jsGrads[k][i]))), `gradient ${k}`).toBeLessThan(1e-4),
            );
          } finally {
            setBackend(previous);
          }
        });
      }
    }
  }
});

describe("backend-tfjs' fused forward on each tfjs backend", () => {
  // tfjs-cpu takes tanh from tfjs, tfjs-wasm through its fused sigmoid; both with and without biases.
  const cases = [
    ['RNN relu', () => new RNN(3, 4, { batchFirst: true, nonlinearity: 'relu', bidirectional: true })],
    ['LSTM without biases', () => new LSTM(3, 4, { batchFirst: true, bias: false, numLayers: 2 })],
    ['GRU', () => new GRU(3, 4, { batchFirst: true, bidirectional: true })],
  ] as const;
  for (const backendName of ['tfjs-cpu', 'tfjs-wasm']) {
    for (const [name, make] of cases) {
      it(`${name} on ${backendName} equals backend-js, with and without lengths`, async () => {
        const tfjs = await backendNamed(backendName);
        registerBackend('tfjs', () => tfjs);
        const previous = getBackend();
        const layer = make();
        const x = randomNormal([3, 5, 3], 0, 1, { seed: 5 });
        const lengths = tensor([5, 2, 4], { dtype: 'int32' });
        const want = [layer.forward(x), layer.forward(x, { seqLengths: lengths })].map((r) =>
          Array.from(r.output.dataSync()),
        );
        layer.to('tfjs');
        setBackend('tfjs');
        try {
          const xt = toBackend(x, getBackend());
          const lt = toBackend(lengths, getBackend());
          const got = [layer.forward(xt), layer.forward(xt, { seqLengths: lt })].map((r) =>
            Array.from(r.output.dataSync()),
          );
          got.forEach((g, k) => expect(Math.max(...g.map((v, i) => Math.abs(v - want[k][i])))).toBeLessThan(1e-5));
        } finally {
          layer.to('js');
          setBackend(previous);
        }
      });
    }
  }
});
