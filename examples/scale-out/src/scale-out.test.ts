import { describe, expect, it } from 'vitest';
import { kerasRoundTrip } from './keras-round-trip';
import { findTorchPython, scaleOut } from './scale-out';

const python = findTorchPython();

describe('examples/scale-out: recur → PyTorch DistributedDataParallel → recur', () => {
  it('says whether PyTorch is here', () => {
    // .ci/run installs Debian's python3-torch where it can; where it could not, this says so.
    console.log(
      python
        ? `PyTorch round trip: runs with ${python}`
        : 'PyTorch round trip: NOT RUN — python3 with torch is not installed',
    );
    expect(python === null || python.length > 0).toBe(true);
  });

  it.runIf(!!python)(
    'two gloo processes give the losses of one process on the same global batch; the weights come back with the same logits',
    async () => {
      const r = await scaleOut({ python: python as string, jsSteps: 3, ddpSteps: 4, processes: 2 });
      expect(r.ddpLosses).toHaveLength(4);
      r.ddpLosses.forEach((l, i) => expect(Math.abs(l - r.singleLosses[i])).toBeLessThan(1e-5 * Math.max(1, l)));
      expect(r.ddpLosses[3]).toBeLessThan(r.ddpLosses[0]);
      expect(r.logitsDiff).toBeLessThan(1e-5);
      expect(r.servingDiff).toBeLessThan(1e-5);
      expect(r.samples.some((s) => s.length > 1)).toBe(true);
    },
    300_000,
  );

  for (const which of ['tagger', 'classifier'] as const) {
    it.runIf(!!python)(
      `a Keras-door ${which === 'tagger' ? 'Bidirectional LSTM tagger' : 'GRU classifier'} makes the same round trip (PyTorch form, DDP, back)`,
      async () => {
        const r = await kerasRoundTrip({ python: python as string, jsSteps: 0, ddpSteps: 4, processes: 2 }, which);
        expect(r.ddpLosses).toHaveLength(4);
        r.ddpLosses.forEach((l, i) => expect(Math.abs(l - r.singleLosses[i])).toBeLessThan(1e-5 * Math.max(1, l)));
        expect(r.ddpLosses[3]).toBeLessThan(r.ddpLosses[0]);
        expect(r.predictDiff).toBeLessThan(1e-5);
      },
      300_000,
    );
  }
});
