import { valueAndGrads } from '@recur/autograd';
import { JsBackend } from '@recur/backend-js';
import { PackedSequence, packPaddedSequence, padPackedSequence } from '@recur/data';
import {
  add,
  gather,
  getBackend,
  mul,
  numTensors,
  randomUniform,
  setBackend,
  slice,
  sum,
  type Tensor,
  tensor,
  tidy,
  toBackend,
  withRecorder,
} from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from './recurrent/torch-modules';

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

const lengths = [5, 2, 4];
const x = randomUniform([3, 5, 3], -1, 1, { seed: 21 });

describe('PyTorch-style layers on a PackedSequence', () => {
  for (const [name, make] of [
    ['RNN 2 layers', () => new RNN(3, 4, { batchFirst: true, numLayers: 2 })],
    ['LSTM bidirectional', () => new LSTM(3, 4, { batchFirst: true, bidirectional: true })],
    ['GRU bidirectional 2 layers', () => new GRU(3, 4, { batchFirst: true, bidirectional: true, numLayers: 2 })],
  ] as const) {
    it(`${name}: each sequence gives what it gives alone; h_n at its own last token`, () => {
      const layer = make();
      tidy(() => {
        const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
        const r = layer.forward(packed);
        expect(r.output.batchSizes).toEqual(packed.batchSizes);
        const { output } = padPackedSequence(r.output, { batchFirst: true });
        lengths.forEach((len, b) => {
          const alone = layer.forward(slice(x, [b, 0, 0], [1, len, -1]));
          expect(maxDiff(slice(output, [b, 0, 0], [1, len, -1]), alone.output)).toBeLessThan(1e-6);
          expect(maxDiff(slice(r.hN, [0, b, 0], [-1, 1, -1]), alone.hN)).toBeLessThan(1e-6);
          if (len < 5) {
            // Outputs past a sequence's end are padding (zeros).
            const padding = slice(output, [b, len, 0], [1, 5 - len, -1]);
            expect(Array.from(padding.dataSync()).every((v) => v === 0)).toBe(true);
          }
        });
      });
    });
  }

  it('leaves no temporaries behind', () => {
    const layer = new LSTM(3, 4, { batchFirst: true });
    const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
    const before = numTensors();
    const r = layer.forward(packed);
    r.output.dispose();
    r.hN.dispose();
    r.cN?.dispose();
    expect(numTensors()).toBe(before);
  });
});

describe('packed rows go straight into the fused kernel', () => {
  const make = () => new GRU(3, 4, { batchFirst: true, bidirectional: true, numLayers: 2 });
  const backends: [string, JsBackend][] = [
    ['SIMD kernel', new JsBackend()],
    ['TypeScript kernel (unpacked around it)', new JsBackend({ wasm: false })],
    ['composed (unpacked around the layer)', new JsBackend({ fused: false })],
  ];
  for (const [label, backend] of backends) {
    it(`${label}: output, h_n and every gradient equal those of the padded batch with lengths`, () => {
      const previous = getBackend();
      setBackend(backend);
      try {
        const layer = make();
        const xb = toBackend(x, backend);
        const weights = randomUniform([3, 5, 8], -1, 1, { seed: 3 });
        const hWeights = randomUniform([4, 3, 4], -1, 1, { seed: 4 });
        const params = layer.parameters().map((p) => p.value);
        const objective = (out: Tensor, hN: Tensor) => add(sum(mul(out, weights)), sum(mul(hN, hWeights)));
        const viaPacked = valueAndGrads((input, ..._ps) => {
          const r = layer.forward(packPaddedSequence(input, lengths, { batchFirst: true, enforceSorted: false }));
          return objective(padPackedSequence(r.output, { batchFirst: true }).output, r.hN);
        })([xb, ...params]);
        const viaPadded = valueAndGrads((input, ..._ps) => {
          const r = layer.forward(input, { seqLengths: tensor(lengths, { dtype: 'int32' }) });
          return objective(r.output, r.hN);
        })([xb, ...params]);
        expect(Math.abs(viaPacked.value.item() - viaPadded.value.item())).toBeLessThan(1e-5);
        viaPacked.grads.forEach((g, i) => expect(maxDiff(g, viaPadded.grads[i]), `gradient ${i}`).toBeLessThan(1e-5));
        // With the kernel, the layer itself gathers nothing: the packed rows are the kernel's rows.
        const packed = packPaddedSequence(xb, lengths, { batchFirst: true, enforceSorted: false });
        const kernels: string[] = [];
        withRecorder({ record: (op) => kernels.push(op.kernel), holds: () => false }, () => layer.forward(packed));
        expect(kernels.includes('gather')).toBe(label.startsWith('composed'));
      } finally {
        setBackend(previous);
      }
    });
  }

  it('a packing that orders ties otherwise (torch.sort is not stable) is unpacked around the kernel', () => {
    const layer = new LSTM(3, 4, { batchFirst: true });
    tidy(() => {
      const tieLengths = [4, 2, 4];
      const reference = packPaddedSequence(x, tieLengths, { batchFirst: true, enforceSorted: false });
      expect(reference.sortedIndices).toEqual([0, 2, 1]);
      // The same batch packed with sequence 2 ahead of sequence 0: pack a copy with rows 0 and 2
      // swapped, then say so in the indices.
      const swappedX = gather(x, tensor([2, 1, 0], { dtype: 'int32' }), 0);
      const swapped = packPaddedSequence(swappedX, tieLengths, { batchFirst: true, enforceSorted: false });
      const handMade = new PackedSequence(swapped.data, swapped.batchSizes, [2, 0, 1], [1, 2, 0]);
      const kernels: string[] = [];
      const r = withRecorder({ record: (op) => kernels.push(op.kernel), holds: () => false }, () =>
        layer.forward(handMade),
      );
      expect(kernels).toContain('gather');
      const a = padPackedSequence(r.output, { batchFirst: true }).output;
      const b = padPackedSequence(layer.forward(reference).output, { batchFirst: true }).output;
      expect(maxDiff(a, b)).toBeLessThan(1e-6);
    });
  });
});
