import { gradcheck, valueAndGrads } from '@recur/autograd';
import type { ActivationName, RecurrentAttrs, RecurrentKind } from '@recur/backend-api';
import { add, type DType, mul, numTensors, randomUniform, sum, type Tensor, tensor, tidy } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { runRecurrent } from './recurrent';

interface Config {
  kind: RecurrentKind;
  reverse: boolean;
  lengths: boolean;
  bias: 'both' | 'ih' | 'none';
  proj: boolean;
  lbr: boolean;
  activations: ActivationName[];
}

const B = 3;
const T = 4;
const I = 3;
const H = 4;
const P = 2;
const G = { rnn: 1, lstm: 4, gru: 3 };

function defaults(kind: RecurrentKind): ActivationName[] {
  return kind === 'rnn' ? ['tanh'] : kind === 'lstm' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'];
}

function configs(): Config[] {
  const out: Config[] = [];
  for (const kind of ['rnn', 'lstm', 'gru'] as const) {
    for (const reverse of [false, true]) {
      for (const lengths of [false, true]) {
        out.push({ kind, reverse, lengths, bias: 'both', proj: false, lbr: true, activations: defaults(kind) });
      }
    }
    out.push({
      kind,
      reverse: false,
      lengths: false,
      bias: 'none',
      proj: false,
      lbr: true,
      activations: defaults(kind),
    });
    out.push({ kind, reverse: true, lengths: true, bias: 'ih', proj: false, lbr: true, activations: defaults(kind) });
  }
  out.push({
    kind: 'lstm',
    reverse: false,
    lengths: false,
    bias: 'both',
    proj: true,
    lbr: true,
    activations: defaults('lstm'),
  });
  out.push({
    kind: 'lstm',
    reverse: true,
    lengths: true,
    bias: 'both',
    proj: true,
    lbr: true,
    activations: defaults('lstm'),
  });
  out.push({
    kind: 'gru',
    reverse: false,
    lengths: false,
    bias: 'both',
    proj: false,
    lbr: false,
    activations: defaults('gru'),
  });
  out.push({
    kind: 'gru',
    reverse: true,
    lengths: true,
    bias: 'ih',
    proj: false,
    lbr: false,
    activations: defaults('gru'),
  });
  out.push({ kind: 'rnn', reverse: false, lengths: true, bias: 'both', proj: false, lbr: true, activations: ['relu'] });
  out.push({
    kind: 'lstm',
    reverse: false,
    lengths: false,
    bias: 'both',
    proj: false,
    lbr: true,
    activations: ['hardSigmoid', 'relu', 'linear'],
  });
  out.push({
    kind: 'gru',
    reverse: false,
    lengths: false,
    bias: 'both',
    proj: false,
    lbr: true,
    activations: ['hardSigmoid', 'relu'],
  });
  return out;
}

const label = (c: Config) =>
  `${c.kind} ${c.reverse ? 'reverse' : 'forward'}${c.lengths ? ' +lengths' : ''} bias=${c.bias}${c.proj ? ' proj' : ''}${c.kind === 'gru' ? ` lbr=${c.lbr}` : ''} [${c.activations}]`;

/** Inputs in a fixed order: x, wIh, wHh, h0, (c0), (bIh), (bHh), (wHr). */
function makeInputs(c: Config, dtype: DType, seed: number): Tensor[] {
  const Hout = c.proj ? P : H;
  const u = (shape: number[], k: number) => randomUniform(shape, -0.8, 0.8, { dtype, seed: seed * 100 + k });
  const xs = [u([B, T, I], 1), u([G[c.kind] * H, I], 2), u([G[c.kind] * H, Hout], 3), u([B, Hout], 4)];
  if (c.kind === 'lstm') xs.push(u([B, H], 5));
  if (c.bias !== 'none') xs.push(u([G[c.kind] * H], 6));
  if (c.bias === 'both') xs.push(u([G[c.kind] * H], 7));
  if (c.proj) xs.push(u([P, H], 8));
  return xs;
}

function run(c: Config, fused: boolean, xs: Tensor[]) {
  const [x, wIh, wHh, h0, ...rest] = xs;
  let k = 0;
  const c0 = c.kind === 'lstm' ? rest[k++] : undefined;
  const bIh = c.bias !== 'none' ? rest[k++] : undefined;
  const bHh = c.bias === 'both' ? rest[k++] : undefined;
  const wHr = c.proj ? rest[k++] : undefined;
  const attrs: RecurrentAttrs = {
    kind: c.kind,
    hiddenSize: H,
    projSize: c.proj ? P : 0,
    reverse: c.reverse,
    activations: c.activations,
    linearBeforeReset: c.lbr,
  };
  const seqLengths = c.lengths ? tensor([4, 1, 3], { dtype: 'int32' }) : undefined;
  return runRecurrent(x, { wIh, wHh, bIh, bHh, wHr }, { h0, c0, seqLengths }, attrs, { fused });
}

/** A scalar that touches every output with its own weights, so every gradient is exercised. */
function loss(c: Config, fused: boolean, xs: Tensor[]): Tensor {
  const r = run(c, fused, xs);
  const w = (t: Tensor, k: number) => randomUniform(t.shape, -1, 1, { dtype: t.dtype, seed: 900 + k });
  let l = add(sum(mul(r.y, w(r.y, 1))), sum(mul(r.hN, w(r.hN, 2))));
  if (r.cN) l = add(l, sum(mul(r.cN, w(r.cN, 3))));
  return l;
}

function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('fused recurrent kernel against the composed path', () => {
  for (const c of configs()) {
    it(`${label(c)}: outputs and gradients agree (float32 to 1e-6, float64 to 1e-12)`, () => {
      for (const [dtype, tol] of [
        ['float32', 1e-6],
        ['float64', 1e-12],
      ] as const) {
        tidy(() => {
          const xs = makeInputs(c, dtype, 1);
          const a = run(c, true, xs);
          const b = run(c, false, xs);
          expect(maxDiff(a.y, b.y)).toBeLessThan(tol);
          expect(maxDiff(a.hN, b.hN)).toBeLessThan(tol);
          if (a.cN && b.cN) expect(maxDiff(a.cN, b.cN)).toBeLessThan(tol);
          const ga = valueAndGrads((...v) => loss(c, true, v))(xs).grads;
          const gb = valueAndGrads((...v) => loss(c, false, v))(xs).grads;
          ga.forEach((g, i) => expect(maxDiff(g, gb[i]), `gradient of input ${i}`).toBeLessThan(tol * 10));
        });
      }
    });
  }

  for (const c of configs().filter((_, i) => i % 3 === 0)) {
    it(`${label(c)}: the fused backward passes gradcheck`, () => {
      tidy(() => {
        const xs = makeInputs(c, 'float64', 2);
        const r = gradcheck((...v) => loss(c, true, v), xs);
        expect(r.ok, r.worst).toBe(true);
      });
    });
  }

  it('frees its workspace when no gradient is taken', () => {
    const c = configs()[0];
    const xs = makeInputs(c, 'float32', 3);
    const before = numTensors();
    const r = run(c, true, xs);
    expect(numTensors()).toBe(before + 2);
    r.y.dispose();
    r.hN.dispose();
    expect(numTensors()).toBe(before);
  });
});
