import type { Tensor } from '@recur/tensor';
import * as T from '@recur/tensor';
import type { NDArray } from './reference';
import * as R from './reference';

/**
 * One op exercised by the conformance suite: inputs are built from seeded random values, the
 * forward result is compared with the plain reference, and (when differentiable) gradcheck runs
 * in float64.
 */
export interface OpCase {
  name: string;
  /** Input shapes and how to fill them; int inputs are given as fixed values. */
  inputs: InputSpec[];
  run: (...xs: Tensor[]) => Tensor;
  reference: (...xs: NDArray[]) => NDArray;
  /** false for ops without a gradient (comparisons, argMax, oneHot). */
  differentiable?: boolean;
  /** The case itself uses float64 (runs only on backends that have it). */
  float64?: boolean;
  gradcheck?: { eps?: number; atol?: number; rtol?: number };
}

export type InputSpec =
  | { shape: number[]; range?: [number, number] }
  | { shape: number[]; int: number[] }
  | { shape: number[]; bool: number[] };

const exp = Math.exp;
const sig = (x: number) => 1 / (1 + exp(-x));
const unaryCases: [string, (x: Tensor) => Tensor, (v: number) => number, [number, number]?][] = [
  ['neg', T.neg, (v) => -v],
  ['abs', T.abs, Math.abs],
  ['exp', T.exp, exp],
  ['log', T.log, Math.log, [0.2, 3]],
  ['sqrt', T.sqrt, Math.sqrt, [0.2, 3]],
  ['tanh', T.tanh, Math.tanh],
  ['sigmoid', T.sigmoid, sig],
  ['relu', T.relu, (v) => Math.max(v, 0)],
  ['softplus', T.softplus, (v) => Math.log1p(exp(v))],
  ['sin', T.sin, Math.sin],
  ['cos', T.cos, Math.cos],
  ['sign', T.sign, Math.sign],
  ['floor', T.floor, Math.floor, [-3, 3]],
  ['ceil', T.ceil, Math.ceil, [-3, 3]],
  ['round', T.round, (v) => Math.round(v), [-3, 3]],
];

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number, [number, number]?][] = [
  ['add', T.add, (a, b) => a + b],
  ['sub', T.sub, (a, b) => a - b],
  ['mul', T.mul, (a, b) => a * b],
  ['div', T.div, (a, b) => a / b, [0.5, 2]],
  ['pow', T.pow, (a, b) => a ** b, [0.5, 2]],
  ['maximum', T.maximum, Math.max],
  ['minimum', T.minimum, Math.min],
];

const broadcastPairs: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[], [2, 2]],
];

const compareCases: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => boolean][] = [
  ['equal', T.equal, (a, b) => a === b],
  ['notEqual', T.notEqual, (a, b) => a !== b],
  ['less', T.less, (a, b) => a < b],
  ['lessEqual', T.lessEqual, (a, b) => a <= b],
  ['greater', T.greater, (a, b) => a > b],
  ['greaterEqual', T.greaterEqual, (a, b) => a >= b],
];

const sumRef = (x: NDArray, axes: number[], keep = false) => R.reduce(x, axes, 0, (a, v) => a + v, keep);
const maxRef = (x: NDArray, axes: number[]) => R.reduce(x, axes, Number.NEGATIVE_INFINITY, Math.max);
const minRef = (x: NDArray, axes: number[]) => R.reduce(x, axes, Number.POSITIVE_INFINITY, Math.min);

function logSoftmaxRef(x: NDArray, axis: number): NDArray {
  const m = R.reduce(x, [axis], Number.NEGATIVE_INFINITY, Math.max, true);
  const s = sumRef(
    R.map([x, m], (v, mm) => exp(v - mm)),
    [axis],
    true,
  );
  return R.map([x, m, s], (v, mm, ss) => v - mm - Math.log(ss));
}

export const OP_CASES: OpCase[] = [
  ...unaryCases.map(([name, run, f, range]) => ({
    name,
    inputs: [{ shape: [3, 4], range }],
    run,
    reference: (x: NDArray) => R.map([x], f),
  })),
  ...binaryCases.flatMap(([name, run, f, range]) =>
    broadcastPairs.map(([sa, sb]) => ({
      name: `${name} ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
      inputs: [
        { shape: sa, range },
        { shape: sb, range },
      ],
      run,
      reference: (a: NDArray, b: NDArray) => R.map([a, b], f),
    })),
  ),
  ...compareCases.map(([name, run, f]) => ({
    name,
    inputs: [
      { shape: [2, 3], int: [1, 2, 3, 4, 5, 6] },
      { shape: [3], int: [2, 2, 6] },
    ],
    run,
    reference: (a: NDArray, b: NDArray) => R.map([a, b], (x, y) => (f(x, y) ? 1 : 0)),
    differentiable: false,
  })),
  {
    name: 'where',
    inputs: [{ shape: [2, 3], bool: [1, 0, 1, 0, 0, 1] }, { shape: [2, 3] }, { shape: [3] }],
    run: (c, a, b) => T.where(c, a, b),
    reference: (c, a, b) => R.map([c, a, b], (cc, x, y) => (cc ? x : y)),
  },
  {
    name: 'cast float → float32 → float64',
    inputs: [{ shape: [5] }],
    run: (x) => T.cast(T.cast(x, 'float32'), 'float64'),
    reference: (x) => R.map([x], (v) => Math.fround(v)),
    gradcheck: { eps: 1e-2, atol: 1e-4 },
    float64: true,
  },
  {
    name: 'clone',
    inputs: [{ shape: [2, 2] }],
    run: T.clone,
    reference: (x) => x,
  },
  { name: 'sum all', inputs: [{ shape: [2, 3, 4] }], run: (x) => T.sum(x), reference: (x) => sumRef(x, [0, 1, 2]) },
  {
    name: 'sum axes [0, 2]',
    inputs: [{ shape: [2, 3, 4] }],
    run: (x) => T.sum(x, [0, -1]),
    reference: (x) => sumRef(x, [0, 2]),
  },
  {
    name: 'sum keepDims',
    inputs: [{ shape: [2, 3] }],
    run: (x) => T.sum(x, 1, { keepDims: true }),
    reference: (x) => sumRef(x, [1], true),
  },
  {
    name: 'mean',
    inputs: [{ shape: [4, 3] }],
    run: (x) => T.mean(x, 0),
    reference: (x) => R.map([sumRef(x, [0])], (v) => v / 4),
  },
  { name: 'max axis 1', inputs: [{ shape: [3, 5] }], run: (x) => T.max(x, 1), reference: (x) => maxRef(x, [1]) },
  {
    name: 'min axes [0, 1]',
    inputs: [{ shape: [3, 2, 2] }],
    run: (x) => T.min(x, [0, 1]),
    reference: (x) => minRef(x, [0, 1]),
  },
  {
    name: 'logSumExp',
    inputs: [{ shape: [3, 4], range: [-5, 5] }],
    run: (x) => T.logSumExp(x, 1),
    reference: (x) => R.map([sumRef(R.map([x], exp), [1])], Math.log),
  },
  {
    name: 'argMax',
    inputs: [{ shape: [3, 4] }],
    run: (x) => T.argMax(x, 1),
    reference: (x) =>
      R.nd(
        [3],
        [0, 1, 2].map((r) => {
          const row = x.data.slice(r * 4, r * 4 + 4);
          return row.indexOf(Math.max(...row));
        }),
      ),
    differentiable: false,
  },
  {
    name: 'argMin',
    inputs: [{ shape: [4, 3] }],
    run: (x) => T.argMin(x, 0),
    reference: (x) =>
      R.nd(
        [3],
        [0, 1, 2].map((c) => {
          const col = [0, 1, 2, 3].map((r) => x.data[r * 3 + c]);
          return col.indexOf(Math.min(...col));
        }),
      ),
    differentiable: false,
  },
  ...[
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ].map(([ta, tb]) => ({
    name: `matMul transposeA=${ta} transposeB=${tb}`,
    inputs: [{ shape: ta ? [2, 4, 3] : [2, 3, 4] }, { shape: tb ? [5, 4] : [4, 5] }],
    run: (a: Tensor, b: Tensor) => T.matMul(a, b, { transposeA: ta, transposeB: tb }),
    reference: (a: NDArray, b: NDArray) => R.matMul(a, b, ta, tb),
  })),
  {
    name: 'matMul batch broadcast',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
    run: (a, b) => T.matMul(a, b),
    reference: (a, b) => R.matMul(a, b),
  },
  {
    name: 'matMul large (blocked path)',
    inputs: [{ shape: [37, 300] }, { shape: [300, 19] }],
    run: (a, b) => T.matMul(a, b),
    reference: (a, b) => R.matMul(a, b),
    differentiable: false,
  },
  {
    name: 'reshape',
    inputs: [{ shape: [2, 6] }],
    run: (x) => T.reshape(x, [3, -1]),
    reference: (x) => R.nd([3, 4], x.data),
  },
  {
    name: 'transpose',
    inputs: [{ shape: [2, 3, 4] }],
    run: (x) => T.transpose(x, [2, 0, 1]),
    reference: (x) => R.transpose(x, [2, 0, 1]),
  },
  {
    name: 'broadcastTo',
    inputs: [{ shape: [3, 1] }],
    run: (x) => T.broadcastTo(x, [2, 3, 4]),
    reference: (x) => R.map([x, R.nd([2, 3, 4], new Array(24).fill(0))], (v) => v),
  },
  {
    name: 'slice',
    inputs: [{ shape: [4, 5] }],
    run: (x) => T.slice(x, [1, 2], [2, -1]),
    reference: (x) => R.slice(x, [1, 2], [2, 3], [1, 1]),
  },
  {
    name: 'stridedSlice with negative step',
    inputs: [{ shape: [4, 6] }],
    run: (x) => T.stridedSlice(x, [3, 0], [0, 6], [0, 1], [-1, 2]),
    reference: (x) => R.slice(x, [3, 0], [3, 3], [-1, 2]),
  },
  {
    name: 'concat',
    inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }],
    run: (a, b, c) => T.concat([a, b, c], 1),
    reference: (a, b, c) => R.concat([a, b, c], 1),
  },
  {
    name: 'stack',
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
    run: (a, b) => T.stack([a, b], 1),
    reference: (a, b) =>
      R.nd([2, 2, 3], [...a.data.slice(0, 3), ...b.data.slice(0, 3), ...a.data.slice(3), ...b.data.slice(3)]),
  },
  {
    name: 'split (parts rejoined in reverse)',
    inputs: [{ shape: [3, 5] }],
    run: (x) => {
      const [p, q] = T.split(x, [2, 3], 1);
      return T.concat([q, p], 1);
    },
    reference: (x) => R.concat([R.slice(x, [0, 2], [3, 3], [1, 1]), R.slice(x, [0, 0], [3, 2], [1, 1])], 1),
  },
  {
    name: 'split, one part unused',
    inputs: [{ shape: [4, 2] }],
    run: (x) => T.split(x, 2, 0)[1],
    reference: (x) => R.slice(x, [2, 0], [2, 2], [1, 1]),
  },
  {
    name: 'pad',
    inputs: [{ shape: [2, 3] }],
    run: (x) =>
      T.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
    reference: (x) =>
      R.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
  },
  {
    name: 'gather axis 0 (embedding lookup, repeated ids)',
    inputs: [{ shape: [5, 3] }, { shape: [2, 3], int: [4, 0, 4, 1, 1, 2] }],
    run: (x, i) => T.gather(x, i, 0),
    reference: (x, i) => R.gather(x, i, 0),
  },
  {
    name: 'gather axis 1',
    inputs: [{ shape: [2, 4, 3] }, { shape: [3], int: [3, 0, 3] }],
    run: (x, i) => T.gather(x, i, 1),
    reference: (x, i) => R.gather(x, i, 1),
  },
  {
    name: 'scatterAdd',
    inputs: [{ shape: [4], int: [1, 3, 1, 0] }, { shape: [2, 4] }],
    run: (i, u) => T.scatterAdd([2, 5], i, u, 1),
    reference: (i, u) => R.scatterAdd([2, 5], i, u, 1),
  },
  {
    name: 'scatterAdd axis 0 (embedding gradient, [2, 3] ids, repeated)',
    inputs: [{ shape: [2, 3], int: [4, 0, 4, 1, 1, 2] }, { shape: [2, 3, 3] }],
    run: (i, u) => T.scatterAdd([5, 3], i, u, 0),
    reference: (i, u) => R.scatterAdd([5, 3], i, u, 0),
  },
  {
    name: 'softmax',
    inputs: [{ shape: [3, 4], range: [-3, 3] }],
    run: (x) => T.softmax(x, -1),
    reference: (x) => R.map([logSoftmaxRef(x, 1)], exp),
  },
  {
    name: 'logSoftmax axis 0',
    inputs: [{ shape: [3, 4], range: [-3, 3] }],
    run: (x) => T.logSoftmax(x, 0),
    reference: (x) => logSoftmaxRef(x, 0),
  },
  {
    name: 'oneHot',
    inputs: [{ shape: [3], int: [2, 0, 1] }],
    run: (i) => T.oneHot(i, 4),
    reference: (i) =>
      R.nd(
        [3, 4],
        i.data.flatMap((v) => [0, 1, 2, 3].map((k) => (k === v ? 1 : 0))),
      ),
    differentiable: false,
  },
];
