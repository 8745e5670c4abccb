import type { RecurrentAttrs, RecurrentKind } from '@recur/backend-api';
import { embeddingLookup, runRecurrent } from '@recur/layers';
import { concat, mul, reshape, sum, tensor } from '@recur/tensor';
import { linearCrossEntropy } from '@recur/train';
import type { OpCase } from './op-cases';
import { type NDArray, nd } from './reference';

/**
 * Op cases for the kernels that layers and losses call as one fused op (`embedding`, `recurrent`,
 * `linearCrossEntropy`): the forward against plain loops written from PyTorch's equations, and
 * gradcheck of their rules in autograd's table. Each runs whatever path the backend offers
 * (fused kernel or composed).
 */

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Row r of a [rows, cols] matrix times vector v: Σ_k W[r, k]·v[k]. */
function dotRow(w: NDArray, r: number, v: number[]): number {
  const cols = w.shape[1];
  let s = 0;
  for (let k = 0; k < cols; k++) s += w.data[r * cols + k] * v[k];
  return s;
}

/**
 * One direction of torch.nn.RNN / LSTM / GRU, batch-first, with optional lengths and reverse:
 * returns y [B, T, H] (zeros past each length), hN and cN [B, H], flattened and joined.
 */
function recurrentReference(
  kind: RecurrentKind,
  reverse: boolean,
  lengths: number[] | null,
  [x, wIh, wHh, bIh, bHh, h0, c0]: NDArray[],
): NDArray {
  const [B, T, I] = x.shape;
  const H = wHh.shape[1];
  const y = new Array<number>(B * T * H).fill(0);
  const hN: number[] = [];
  const cN: number[] = [];
  for (let b = 0; b < B; b++) {
    let h = h0.data.slice(b * H, (b + 1) * H);
    let c = c0 ? c0.data.slice(b * H, (b + 1) * H) : [];
    const len = lengths ? lengths[b] : T;
    for (let s = 0; s < len; s++) {
      const t = reverse ? len - 1 - s : s;
      const xt = x.data.slice((b * T + t) * I, (b * T + t + 1) * I);
      const gx = (r: number) => dotRow(wIh, r, xt) + bIh.data[r];
      const gh = (r: number) => dotRow(wHh, r, h) + bHh.data[r];
      const next: number[] = [];
      const nextC: number[] = [];
      for (let j = 0; j < H; j++) {
        if (kind === 'rnn') next.push(Math.tanh(gx(j) + gh(j)));
        else if (kind === 'lstm') {
          const i = sigmoid(gx(j) + gh(j));
          const f = sigmoid(gx(H + j) + gh(H + j));
          const g = Math.tanh(gx(2 * H + j) + gh(2 * H + j));
          const o = sigmoid(gx(3 * H + j) + gh(3 * H + j));
          nextC.push(f * c[j] + i * g);
          next.push(o * Math.tanh(nextC[j]));
        } else {
          const r = sigmoid(gx(j) + gh(j));
          const z = sigmoid(gx(H + j) + gh(H + j));
          const n = Math.tanh(gx(2 * H + j) + r * gh(2 * H + j));
          next.push((1 - z) * n + z * h[j]);
        }
      }
      h = next;
      if (kind === 'lstm') c = nextC;
      for (let j = 0; j < H; j++) y[(b * T + t) * H + j] = h[j];
    }
    hN.push(...h);
    cN.push(...c);
  }
  return nd([B * T * H + hN.length + cN.length], [...y, ...hN, ...cN]);
}

function recurrentCase(kind: RecurrentKind, reverse: boolean, lengths: number[] | null): OpCase {
  const [B, T, I, H] = [3, 4, 3, 2]; // T: steps
  const G = { rnn: 1, lstm: 4, gru: 3 }[kind] * H;
  const attrs: RecurrentAttrs = {
    kind,
    hiddenSize: H,
    projSize: 0,
    reverse,
    activations: kind === 'rnn' ? ['tanh'] : kind === 'lstm' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'],
    linearBeforeReset: true,
  };
  const inputs = [
    { shape: [B, T, I] },
    { shape: [G, I], range: [-1, 1] as [number, number] },
    { shape: [G, H], range: [-1, 1] as [number, number] },
    { shape: [G] },
    { shape: [G] },
    { shape: [B, H], range: [-1, 1] as [number, number] },
    ...(kind === 'lstm' ? [{ shape: [B, H], range: [-1, 1] as [number, number] }] : []),
  ];
  const detail = `${reverse ? 'reverse' : 'forward'}${lengths ? `, lengths ${JSON.stringify(lengths)}` : ''}`;
  return {
    name: `recurrent ${kind} (${detail})`,
    inputs,
    run: (x, wIh, wHh, bIh, bHh, h0, c0) => {
      const seqLengths = lengths ? tensor(lengths, { dtype: 'int32' }) : undefined;
      const r = runRecurrent(x, { wIh, wHh, bIh, bHh }, { h0, c0, seqLengths }, attrs);
      const parts = [r.y, r.hN, ...(r.cN ? [r.cN] : [])].map((t) => reshape(t, [-1]));
      return concat(parts, 0);
    },
    reference: (...xs) => recurrentReference(kind, reverse, lengths, xs),
    gradcheck: { atol: 1e-5, rtol: 1e-4 },
  };
}

/**
 * Per-row softmax cross-entropy of x·Wᵀ + b with label smoothing ε (PyTorch's formula), target
 * `ignore` giving 0, weighted by row w[n] = 1 + n / N and summed (so every row's gradient shows).
 */
function linearCrossEntropyReference(
  x: NDArray,
  w: NDArray,
  b: NDArray,
  targets: number[],
  eps: number,
  ignore: number,
): NDArray {
  const [N, K] = x.shape;
  const C = w.shape[0];
  let total = 0;
  for (let n = 0; n < N; n++) {
    if (targets[n] === ignore) continue;
    const z = Array.from({ length: C }, (_, c) => dotRow(w, c, x.data.slice(n * K, (n + 1) * K)) + b.data[c]);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    const mean = z.reduce((s, v) => s + v, 0) / C;
    total += (1 + n / N) * ((1 - eps) * (lse - z[targets[n]]) + eps * (lse - mean));
  }
  return nd([], [total]);
}

function linearCrossEntropyCase(eps: number): OpCase {
  const targets = [2, -100, 0, 4, 4, 1];
  const [N, K, C] = [targets.length, 3, 5];
  const rowWeights = Array.from({ length: N }, (_, n) => 1 + n / N);
  return {
    name: `linearCrossEntropy (per row, an ignored target${eps ? `, label smoothing ${eps}` : ''})`,
    inputs: [{ shape: [N, K] }, { shape: [C, K] }, { shape: [C] }],
    run: (x, w, b) =>
      sum(
        mul(
          linearCrossEntropy(x, w, b, tensor(targets, { dtype: 'int32' }), { reduction: 'none', labelSmoothing: eps }),
          tensor(rowWeights, { dtype: x.dtype }),
        ),
      ),
    reference: (x, w, b) => linearCrossEntropyReference(x, w, b, targets, eps, -100),
  };
}

export const FUSED_OP_CASES: OpCase[] = [
  linearCrossEntropyCase(0),
  linearCrossEntropyCase(0.2),
  {
    name: 'embedding (repeated ids)',
    inputs: [{ shape: [5, 3] }, { shape: [2, 3], int: [4, 1, 4, 0, 1, 2] }],
    run: (w, ids) => embeddingLookup('Embedding', w, ids, null),
    reference: (w, ids) =>
      nd(
        [...ids.shape, 3],
        ids.data.flatMap((i) => w.data.slice(i * 3, i * 3 + 3)),
      ),
  },
  recurrentCase('rnn', false, null),
  recurrentCase('lstm', false, null),
  recurrentCase('gru', false, null),
  recurrentCase('lstm', true, [4, 2, 3]),
  recurrentCase('gru', false, [1, 4, 2]),
  recurrentCase('rnn', true, [2, 3, 4]),
];
