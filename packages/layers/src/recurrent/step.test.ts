import { JsBackend, wasmReady } from '@recur/backend-js';
import {
  dispose,
  getBackend,
  randomNormal,
  setBackend,
  slice,
  squeeze,
  type Tensor,
  tidy,
  UnsupportedError,
} from '@recur/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from './torch-modules';
import type { TorchRecurrent } from './torch-recurrent';

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

// step() one token at a time must give what forward gives over the whole sequence: on the SIMD
// kernel at batch 1 (hidden units split across threads), at a larger batch, and in TypeScript.
const previous = getBackend();
// Workers up first, so the two-thread cases really split (by rows at batch 3, by units at batch 1).
beforeAll(async () => {
  await wasmReady(2);
});
afterAll(() => setBackend(previous));

const layers: [string, () => TorchRecurrent][] = [
  ['LSTM 2 layers, 260 units', () => new LSTM(12, 260, { batchFirst: true, numLayers: 2 })],
  ['GRU 260 units', () => new GRU(12, 260, { batchFirst: true })],
  ['RNN 300 units', () => new RNN(12, 300, { batchFirst: true })],
  ['LSTM with projection (TypeScript kernel)', () => new LSTM(12, 40, { batchFirst: true, projSize: 16 })],
];

describe('step(): one time step at a time equals forward over the sequence', () => {
  for (const threads of [1, 2]) {
    for (const [name, make] of layers) {
      for (const B of [1, 3]) {
        it(`${name}, batch ${B}, ${threads} thread(s)`, () => {
          setBackend(new JsBackend({ threads }));
          const layer = make();
          const T = 5;
          tidy(() => {
            const x = randomNormal([B, T, 12], 0, 1, { seed: 3 });
            const h0 = randomNormal([layer.numLayers, B, layer.outputSize], 0, 1, { seed: 4 });
            const c0 =
              layer.kind === 'lstm'
                ? randomNormal([layer.numLayers, B, layer.hiddenSize], 0, 1, { seed: 5 })
                : undefined;
            const whole = layer.forward(x, { h0, c0 });
            let state = { h0, c0 };
            for (let t = 0; t < T; t++) {
              const r = layer.step(squeeze(slice(x, [0, t, 0], [-1, 1, -1]), 1), state);
              expect(maxDiff(r.output, squeeze(slice(whole.output, [0, t, 0], [-1, 1, -1]), 1))).toBeLessThan(1e-5);
              state = { h0: r.hN, c0: r.cN };
            }
            expect(maxDiff(state.h0, whole.hN)).toBeLessThan(1e-5);
            if (whole.cN && state.c0) expect(maxDiff(state.c0, whole.cN)).toBeLessThan(1e-5);
          });
          dispose(layer.stateDict());
        });
      }
    }
  }

  it('refuses a bidirectional layer and an input with a time axis, naming what it expected', () => {
    setBackend(previous);
    const bi = new GRU(3, 4, { bidirectional: true });
    expect(() => bi.step(randomNormal([1, 3]))).toThrow(UnsupportedError);
    const lstm = new LSTM(3, 4);
    expect(() => lstm.step(randomNormal([1, 2, 3]))).toThrow(/step\(\) takes x \[batch, features\], got \[1, 2, 3\]/);
    expect(() => lstm.step(randomNormal([1, 3]), { h: randomNormal([1, 1, 4]) } as never)).toThrow(/h/);
  });
});
