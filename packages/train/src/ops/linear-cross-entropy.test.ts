import { valueAndGrads } from '@recur/autograd';
import { JsBackend, wasmMemory } from '@recur/backend-js';
import {
  add,
  type Backend,
  DTypeError,
  matMul,
  mul,
  numTensors,
  Rng,
  ShapeError,
  setBackend,
  sum,
  type Tensor,
  tensor,
  ValueError,
  withRecorder,
} from '@recur/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { type CrossEntropyOptions, crossEntropy } from '../losses/cross-entropy';
import { type LinearCrossEntropyOptions, linearCrossEntropy } from './linear-cross-entropy';

// The fused kernel against the composition it replaces, x·Wᵀ + b then crossEntropy, whose
// numbers the PyTorch fixtures check: value and every gradient, on each backend-js path.
const BACKENDS: [string, Backend, boolean][] = [
  ['SIMD kernel (2 threads)', new JsBackend({ threads: 2 }), true],
  ['SIMD kernel (1 thread)', new JsBackend({ threads: 1 }), true],
  ['TypeScript kernel', new JsBackend({ wasm: false }), true],
  ['no fused kernels (composed)', new JsBackend({ fused: false }), false],
];

/** The kernels `f` runs, as a recorder sees them. */
function kernelsOf(f: () => Tensor): string[] {
  const seen: string[] = [];
  withRecorder({ record: (op) => seen.push(op.kernel), holds: () => false }, () => f().dispose());
  return seen;
}

function random(shape: number[], rng: Rng, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Array.from({ length: n }, () => rng.uniform(-scale, scale)),
    { shape },
  );
}

function targetsOf(shape: number[], C: number, rng: Rng, ignoreEvery = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 1 ? -100 : rng.int(C)));
  return tensor(v, { shape, dtype: 'int32' });
}

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

interface Case {
  name: string;
  lead: number[];
  K: number;
  C: number;
  bias: boolean;
  options: LinearCrossEntropyOptions;
  ignoreEvery?: number;
}

const CASES: Case[] = [
  { name: 'char-LM head, mean', lead: [32, 64], K: 256, C: 65, bias: true, options: {} },
  { name: 'odd classes, sum', lead: [3, 5], K: 7, C: 13, bias: true, options: { reduction: 'sum' } },
  { name: 'none, no bias', lead: [6], K: 9, C: 5, bias: false, options: { reduction: 'none' } },
  {
    name: 'ignoreIndex and label smoothing',
    lead: [4, 9],
    K: 16,
    C: 11,
    bias: true,
    options: { labelSmoothing: 0.1 },
    ignoreEvery: 3,
  },
  {
    name: 'Keras kernel layout, other ignoreIndex',
    lead: [2, 3],
    K: 8,
    C: 6,
    bias: true,
    options: { kernelLayout: 'inOut', ignoreIndex: 5 },
  },
];

describe('linearCrossEntropy (Linear + softmax cross-entropy as one op)', () => {
  afterAll(() => setBackend('js'));

  for (const [label, backend, fused] of BACKENDS) {
    describe(label, () => {
      for (const c of CASES) {
        it(`${c.name}: value and gradients equal the composed x·Wᵀ + b → crossEntropy`, () => {
          setBackend(backend);
          const rng = new Rng(7);
          const inOut = c.options.kernelLayout === 'inOut';
          const x = random([...c.lead, c.K], rng);
          const w = random(inOut ? [c.K, c.C] : [c.C, c.K], rng, 0.3);
          const b = c.bias ? random([c.C], rng) : null;
          const y = targetsOf(c.lead, c.C, rng, c.ignoreEvery);
          const loss = (xx: Tensor, ww: Tensor, bb?: Tensor) => linearCrossEntropy(xx, ww, bb, y, c.options);
          const reference = (xx: Tensor, ww: Tensor, bb?: Tensor) => {
            const z = matMul(xx, ww, { transposeB: !inOut });
            return crossEntropy(bb ? add(z, bb) : z, y, c.options as CrossEntropyOptions);
          };
          const args = b ? [x, w, b] : [x, w];
          // Per-row losses ('none') are weighted unevenly before summing, so each row's gradient shows.
          const reduce =
            (f: (...t: Tensor[]) => Tensor) =>
            (...t: Tensor[]) => {
              const v = f(...t);
              if (v.rank === 0) return v;
              return sum(
                mul(
                  v,
                  tensor(
                    Array.from({ length: v.size }, (_, i) => 1 + i / v.size),
                    { shape: v.shape },
                  ),
                ),
              );
            };
          const got = valueAndGrads(reduce(loss))(args);
          const want = valueAndGrads(reduce(reference))(args);
          expect(Math.abs(got.value.item() - want.value.item())).toBeLessThan(
            2e-5 * Math.max(1, Math.abs(want.value.item())),
          );
          got.grads.forEach((g, i) => expect(maxDiff(g, want.grads[i]), `gradient ${i}`).toBeLessThan(2e-6));
          if (c.options.reduction === 'none') expect(loss(x, w, b ?? undefined).shape).toEqual(c.lead);
          // The fused kernel ran where the backend has it; no product or log-softmax ran beside it.
          const kernels = kernelsOf(() => loss(x, w, b ?? undefined));
          expect(kernels.includes('linearCrossEntropy')).toBe(fused);
          expect(kernels.includes('matMul')).toBe(!fused);
        });
      }

      it('every target ignored: NaN, as PyTorch', () => {
        setBackend(backend);
        const x = random([2, 4], new Rng(1));
        const w = random([3, 4], new Rng(2));
        expect(linearCrossEntropy(x, w, null, tensor([-100, -100], { dtype: 'int32' })).item()).toBeNaN();
      });
    });
  }

  it('frees its workspace: no tensors or kernel memory left after a gradient, none kept without one', () => {
    setBackend(BACKENDS[0][1]);
    const rng = new Rng(3);
    const x = random([64, 32], rng);
    const w = random([20, 32], rng);
    const y = targetsOf([64], 20, rng);
    const before = numTensors();
    for (let i = 0; i < 3; i++) {
      const r = valueAndGrads((a, b) => linearCrossEntropy(a, b, null, y))([x, w]);
      r.value.dispose();
      for (const g of r.grads) g.dispose();
      linearCrossEntropy(x, w, null, y).dispose();
    }
    expect(numTensors()).toBe(before);
    expect(wasmMemory()?.retainedBlocks).toBe(0);
  });

  it('refuses what does not fit, naming it', () => {
    setBackend('js');
    const x = tensor([[1, 2, 3]]);
    const w = tensor([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const y = tensor([1], { dtype: 'int32' });
    expect(() => linearCrossEntropy(x, tensor([[1, 2]]), null, y)).toThrow(ShapeError);
    expect(() => linearCrossEntropy(x, tensor([[1, 2]]), null, y)).toThrow(/weight should be \[C, 3\]/);
    expect(() => linearCrossEntropy(x, w, tensor([1, 2, 3]), y)).toThrow(/bias should be \[2\], got \[3\]/);
    expect(() => linearCrossEntropy(x, w, null, tensor([1, 0], { dtype: 'int32' }))).toThrow(
      /targets \[2\] should match x \[1, 3\]/,
    );
    expect(() => linearCrossEntropy(x, w, null, tensor([1]))).toThrow(DTypeError);
    expect(() => linearCrossEntropy(x, w, null, tensor([2], { dtype: 'int32' }))).toThrow(ValueError);
    expect(() => linearCrossEntropy(x, w, null, tensor([2], { dtype: 'int32' }))).toThrow(
      /target 2 at flat position 0 is outside 0..1/,
    );
    expect(() => linearCrossEntropy(x, w, null, y, { labelSmoothing: 2 })).toThrow(
      /labelSmoothing must be in \[0, 1\]/,
    );
  });
});
