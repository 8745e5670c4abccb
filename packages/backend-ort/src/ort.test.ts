import { LSTM } from '@recur/layers';
import { add, getBackend, mul, randomNormal, setBackend, tensor } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { OrtBackend } from './ort-backend';
import { compile, release } from './ort-model';

describe('backend-ort', () => {
  it('compiles a recur model into one session (cached per model) with recur’s outputs', async () => {
    const lstm = new LSTM(3, 4, { batchFirst: true });
    const x = randomNormal([2, 5, 3], 0, 1, { seed: 1 });
    const a = compile(lstm);
    expect(compile(lstm)).toBe(a);
    const out = await (await a).run({ input: x });
    const mine = lstm.forward(x);
    const ref = Array.from(mine.output.dataSync());
    const d = Array.from(out.output.dataSync()).reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
    expect(d).toBeLessThan(1e-5);
    await release(lstm);
    expect(compile(lstm)).not.toBe(a);
    await release(lstm);
  });

  it('compiles again when the weights or the options change, so a session never runs stale weights', async () => {
    const lstm = new LSTM(3, 4, { batchFirst: true });
    const x = randomNormal([2, 5, 3], 0, 1, { seed: 4 });
    const first = await compile(lstm);
    expect(await compile(lstm)).toBe(first);
    // New weights, as after an optimizer step: every parameter gets a new tensor.
    lstm.loadStateDict(Object.fromEntries(Object.entries(lstm.stateDict()).map(([k, v]) => [k, mul(v, 0.5)])));
    const second = await compile(lstm);
    expect(second).not.toBe(first);
    const want = Array.from(lstm.forward(x).output.dataSync());
    const got = Array.from((await second.run({ input: x })).output.dataSync());
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
    expect(await compile(lstm, { intraOpNumThreads: 2 })).not.toBe(second);
    await release(lstm);
  });

  it('gives each run its own output tensors (results are adopted, not copied, so none may be shared)', async () => {
    const lstm = new LSTM(3, 4, { batchFirst: true });
    const model = await compile(lstm);
    const first = await model.run({ input: randomNormal([2, 5, 3], 0, 1, { seed: 2 }) });
    const kept = Array.from(first.output.dataSync());
    const second = await model.run({ input: randomNormal([2, 5, 3], 0, 1, { seed: 3 }) });
    expect(Array.from(first.output.dataSync())).toEqual(kept);
    expect(Array.from(second.output.dataSync())).not.toEqual(kept);
    expect(first.h_n.dtype).toBe('float32');
    expect(first.c_n.shape).toEqual([1, 2, 4]);
    await release(lstm);
  });

  it('refuses op-by-op work and training with an error naming the backends that train', () => {
    const previous = getBackend();
    setBackend(new OrtBackend());
    try {
      const t = tensor([1, 2]);
      expect(Array.from(t.dataSync())).toEqual([1, 2]);
      expect(() => add(t, 1)).toThrow(/backend 'ort' runs whole compiled models .* need backend 'js' or 'tfjs'/);
    } finally {
      setBackend(previous);
    }
  });
});
