import { randomUniform, tidy } from '@recur/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel, node, tensorProto, valueInfo } from './builder';
import { OnnxModel } from './model';
import { activationParams } from './ops/recurrent';

/**
 * ONNX RNN / GRU / LSTM activations with parameters, against onnxruntime-node: activation_alpha and
 * activation_beta are consumed in order, across both directions, only by the activations that take
 * them (HardSigmoid α β, LeakyRelu α, ThresholdedRelu α, ScaledTanh α β, Affine α β, Elu α).
 */
const [T, B, I, H] = [4, 2, 3, 5];

function model(kind: 'RNN' | 'GRU' | 'LSTM', activations: string[], alpha: number[], beta: number[]) {
  const gates = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const w = randomUniform([2, gates * H, I], -0.6, 0.6, { seed: 1 });
  const r = randomUniform([2, gates * H, H], -0.6, 0.6, { seed: 2 });
  const b = randomUniform([2, 2 * gates * H], -0.3, 0.3, { seed: 3 });
  const attrs: Record<string, number | string | number[] | string[]> = {
    hidden_size: H,
    direction: 'bidirectional',
    activations,
  };
  if (alpha.length) attrs.activation_alpha = alpha;
  if (beta.length) attrs.activation_beta = beta;
  return encodeModel({
    nodes: [node(kind, ['x', 'W', 'R', 'B'], ['y', 'h'], attrs)],
    inputs: [valueInfo('x', 'float32', [T, B, I])],
    outputs: [valueInfo('y', 'float32', [T, 2, B, H]), valueInfo('h', 'float32', [2, B, H])],
    initializers: [tensorProto('W', w), tensorProto('R', r), tensorProto('B', b)],
    opset: 14,
  });
}

const CASES: { kind: 'RNN' | 'GRU' | 'LSTM'; activations: string[]; alpha: number[]; beta: number[] }[] = [
  // The case: HardSigmoid and LeakyRelu in both directions.
  {
    kind: 'LSTM',
    activations: ['HardSigmoid', 'LeakyRelu', 'Tanh', 'HardSigmoid', 'LeakyRelu', 'Tanh'],
    alpha: [0.3, 0.05, 0.25, 0.1],
    beta: [0.4, 0.6],
  },
  {
    kind: 'LSTM',
    activations: ['Sigmoid', 'ScaledTanh', 'Affine', 'Sigmoid', 'Tanh', 'Softsign'],
    alpha: [0.9, 0.7],
    beta: [1.1, 0.2],
  },
  {
    kind: 'GRU',
    activations: ['HardSigmoid', 'Elu', 'Sigmoid', 'ThresholdedRelu'],
    alpha: [0.15, 0.8, 0.1],
    beta: [0.45],
  },
  { kind: 'GRU', activations: ['Sigmoid', 'Softplus', 'Sigmoid', 'Affine'], alpha: [0.5], beta: [0.25] },
  { kind: 'RNN', activations: ['LeakyRelu', 'ScaledTanh'], alpha: [0.2, 1.5], beta: [0.7] },
  { kind: 'RNN', activations: ['Elu', 'Relu'], alpha: [], beta: [] }, // lists absent: the defaults
];

describe('recurrent activations with alpha / beta, as onnxruntime-node reads them', () => {
  it('consumes the lists in order, only by activations that take a parameter', () => {
    expect(activationParams(['Sigmoid', 'HardSigmoid', 'LeakyRelu', 'Tanh', 'HardSigmoid'], [1, 2, 3], [4, 5])).toEqual(
      [
        { alpha: undefined, beta: undefined },
        { alpha: 1, beta: 4 },
        { alpha: 2, beta: undefined },
        { alpha: undefined, beta: undefined },
        { alpha: 3, beta: 5 },
      ],
    );
  });

  for (const c of CASES) {
    it(`${c.kind} [${c.activations.join(', ')}] α [${c.alpha}] β [${c.beta}]`, async () => {
      const bytes = model(c.kind, c.activations, c.alpha, c.beta);
      const x = randomUniform([T, B, I], -2, 2, { seed: 4 });
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
      const want = await session.run({ x: new ort.Tensor('float32', x.dataSync() as Float32Array, [T, B, I]) });
      await session.release();
      const m = OnnxModel.load(bytes);
      tidy(() => {
        const got = m.run({ x });
        for (const name of ['y', 'h']) {
          const a = got[name].dataSync();
          const b = want[name].data as Float32Array;
          expect(a.length).toBe(b.length);
          const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
          expect(diff, name).toBeLessThan(1e-5);
        }
      });
      m.dispose();
    });
  }
});
