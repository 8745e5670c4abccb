import { JsBackend } from '@recur/backend-js';
import { Parameter } from '@recur/layers';
import { dispose, getBackend, Rng, setBackend, type Tensor, tensor, withRecorder } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { Adagrad } from './adagrad';
import { Adam, AdamW } from './adam';
import type { Optimizer } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

/**
 * Scalar transcriptions of the update rules in PyTorch's documentation (torch.optim.*), one
 * element at a time, written independently of the tensor code they check.
 */
type Ref = (p: number, g: number, s: Record<string, number>, t: number) => number;

const refs: Record<string, [(ps: Parameter[]) => Optimizer, Ref]> = {
  'SGD momentum 0.9, dampening 0.1, weight decay 0.01': [
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
    (p, g, s, t) => {
      const d = g + 0.01 * p;
      s.b = t === 1 ? d : 0.9 * s.b + 0.9 * d;
      return p - 0.1 * s.b;
    },
  ],
  'SGD Nesterov': [
    (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true }),
    (p, g, s, t) => {
      s.b = t === 1 ? g : 0.8 * s.b + g;
      return p - 0.05 * (g + 0.8 * s.b);
    },
  ],
  'Adam with L2 weight decay and AMSGrad': [
    (ps) => new Adam(ps, { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1, amsgrad: true }),
    (p, g0, s, t) => {
      const g = g0 + 0.1 * p;
      s.m = 0.8 * (s.m ?? 0) + 0.2 * g;
      s.v = 0.95 * (s.v ?? 0) + 0.05 * g * g;
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      const denom = Math.sqrt(s.vmax) / Math.sqrt(1 - 0.95 ** t) + 1e-6;
      return p - (0.01 / (1 - 0.8 ** t)) * (s.m / denom);
    },
  ],
  'Adam with L2 weight decay': [
    (ps) => new Adam(ps, { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }),
    (p, g0, s, t) => {
      const g = g0 + 0.1 * p;
      s.m = 0.8 * (s.m ?? 0) + 0.2 * g;
      s.v = 0.95 * (s.v ?? 0) + 0.05 * g * g;
      const denom = Math.sqrt(s.v) / Math.sqrt(1 - 0.95 ** t) + 1e-6;
      return p - (0.01 / (1 - 0.8 ** t)) * (s.m / denom);
    },
  ],
  'AdamW (decoupled decay 0.01 by default)': [
    (ps) => new AdamW(ps, { lr: 0.02 }),
    (p0, g, s, t) => {
      const p = p0 * (1 - 0.02 * 0.01);
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
      const denom = Math.sqrt(s.v) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      return p - (0.02 / (1 - 0.9 ** t)) * (s.m / denom);
    },
  ],
  'RMSprop centered with momentum': [
    (ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.01 }),
    (p, g0, s) => {
      const g = g0 + 0.01 * p;
      s.sq = 0.9 * (s.sq ?? 0) + 0.1 * g * g;
      s.ga = 0.9 * (s.ga ?? 0) + 0.1 * g;
      const avg = Math.sqrt(s.sq - s.ga * s.ga) + 1e-8;
      s.b = 0.5 * (s.b ?? 0) + g / avg;
      return p - 0.01 * s.b;
    },
  ],
  'RMSprop plain': [
    (ps) => new RMSprop(ps, {}),
    (p, g, s) => {
      s.sq = 0.99 * (s.sq ?? 0) + 0.01 * g * g;
      return p - (0.01 * g) / (Math.sqrt(s.sq) + 1e-8);
    },
  ],
  'Adagrad with lr decay and initial accumulator': [
    (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1 }),
    (p, g, s, t) => {
      s.sum = (s.sum ?? 0.1) + g * g;
      return p - ((0.1 / (1 + (t - 1) * 0.05)) * g) / (Math.sqrt(s.sum) + 1e-10);
    },
  ],
};

function run(
  make: (ps: Parameter[]) => Optimizer,
  steps: number,
  start: number[],
  seed: number,
): { values: number[]; opt: Optimizer } {
  const p = new Parameter(tensor(start, { dtype: 'float64' }));
  const opt = make([p]);
  const rng = new Rng(seed);
  for (let t = 0; t < steps; t++) {
    const g = tensor(
      start.map(() => rng.uniform(-1, 1)),
      { dtype: 'float64' },
    );
    opt.step([g]);
    g.dispose();
  }
  return { values: Array.from(p.value.dataSync()), opt };
}

describe('optimizers follow PyTorch update rules', () => {
  const start = [0.5, -1.2, 2.0];
  // backend-js runs Adam as one fused kernel; with fused kernels off, as tensor ops (what other backends do).
  for (const [label, backend] of [
    ['', null],
    [' (tensor ops, no fused kernel)', new JsBackend({ fused: false })],
  ] as const)
    for (const [name, [make, ref]] of Object.entries(refs)) {
      it(`${name}${label}`, () => {
        const previous = getBackend();
        if (backend) setBackend(backend);
        let result: ReturnType<typeof run>;
        try {
          result = run(make, 6, start, 1);
        } finally {
          setBackend(previous);
        }
        const { values, opt } = result;
        const rng = new Rng(1);
        const expected = start.map(() => 0);
        const state = start.map(() => ({}) as Record<string, number>);
        const cur = [...start];
        for (let t = 1; t <= 6; t++) {
          const g = start.map(() => rng.uniform(-1, 1));
          for (let i = 0; i < cur.length; i++) cur[i] = ref(cur[i], g[i], state[i], t);
        }
        expected.splice(0, 3, ...cur);
        values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
        opt.dispose();
      });
    }

  it('Adam updates every parameter in one adamSteps call, bit for bit as one adamStep per parameter', () => {
    const previous = getBackend();
    const shapes = [[3, 4], [4], [2, 2, 5]];
    const rng = new Rng(4);
    const values = shapes.map((shape) =>
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
    );
    const grads = [0, 1, 2].map(() => values.map((v) => v.map(() => rng.uniform(-1, 1))));
    const trajectory = (backend: JsBackend) => {
      setBackend(backend);
      const params = values.map((v, i) => new Parameter(tensor(v, { shape: shapes[i] })));
      const opt = new AdamW(params, { lr: 0.05, weightDecay: 0.1 });
      const kernels: string[] = [];
      for (const step of grads) {
        const g = step.map((v, i) => tensor(v, { shape: shapes[i] }));
        withRecorder({ record: (op) => kernels.push(op.kernel), holds: () => false }, () => opt.step(g));
        g.forEach((t) => t.dispose());
      }
      const out = params.map((p) => Array.from(p.value.dataSync()));
      opt.dispose();
      params.forEach((p) => p.dispose());
      return { out, kernels };
    };
    try {
      const all = trajectory(new JsBackend());
      const single = new JsBackend();
      delete (single.fused as { adamSteps?: unknown }).adamSteps;
      const each = trajectory(single);
      expect(all.kernels.filter((k) => k === 'adamSteps')).toHaveLength(3);
      expect(all.kernels).not.toContain('adamStep');
      expect(each.kernels.filter((k) => k === 'adamStep')).toHaveLength(9);
      expect(all.out).toEqual(each.out);
    } finally {
      setBackend(previous);
    }
  });

  it('state() / loadState() continue exactly where they left off', () => {
    const make = (ps: Parameter[]) => new Adam(ps, { lr: 0.05 });
    const whole = run(make, 6, start, 2).values;
    const p = new Parameter(tensor(start, { dtype: 'float64' }));
    const a = make([p]);
    const rng = new Rng(2);
    const grad = () =>
      tensor(
        start.map(() => rng.uniform(-1, 1)),
        { dtype: 'float64' },
      );
    for (let t = 0; t < 3; t++) a.step([grad()]);
    const saved = a.state();
    const q = new Parameter(tensor(Array.from(p.value.dataSync()), { dtype: 'float64' }));
    const b = make([q]);
    b.loadState(saved);
    dispose(saved.slots);
    for (let t = 0; t < 3; t++) b.step([grad()]);
    expect(Array.from(q.value.dataSync())).toEqual(whole);
    expect(() => new SGD([q]).loadState(b.state())).toThrow(/the state is for Adam/);
  });

  it('a NaN gradient is an error naming it, or a skipped step', () => {
    const p = new Parameter(tensor([1, 2]));
    const opt = new SGD([p], { lr: 1 });
    const bad: Tensor = tensor([1, Number.NaN]);
    expect(() => opt.step([bad])).toThrow(/gradient 0 \[2\] has NaN or Inf; the step was not applied/);
    expect(opt.step([bad], { skipNonFinite: true })).toBe(false);
    expect(Array.from(p.value.dataSync())).toEqual([1, 2]);
    expect(() => opt.step([tensor([1, 2, 3])])).toThrow(/gradient 0 is \[3\], its parameter is \[2\]/);
  });

  it('Keras-style clipvalue and clipnorm act before the update', () => {
    const p = new Parameter(tensor([0, 0]));
    new SGD([p], { lr: 1, clipvalue: 0.5 }).step([tensor([2, -0.25])]);
    expect(Array.from(p.value.dataSync())).toEqual([-0.5, 0.25]);
    const q = new Parameter(tensor([0, 0]));
    new SGD([q], { lr: 1, clipnorm: 1 }).step([tensor([3, 4])]);
    expect(Array.from(q.value.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([-0.6, -0.8]);
  });
});
