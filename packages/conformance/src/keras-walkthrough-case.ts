import * as keras from '@recur/keras';
import { argMax, dispose, matMul, oneHot, randomUniform, slice, type Tensor, tensor, tidy } from '@recur/tensor';
import { type Comparison, compareTensor, type Tolerance } from './fixture-tensor';

/**
 * The Keras walk-through fixtures (fixtures/keras): a recurrent layer + Dense with given weights
 * on one-hot characters; a Bidirectional layer with constant initializers; and shape / parameter
 * facts about small Sequential models, written as Keras code.
 */
const TOL: Tolerance = { atol: 1e-5, rtol: 1e-5 };

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flat(Number.POSITIVE_INFINITY) : [v]) as number[];
const asFixture = (v: unknown, shape: number[]) => ({ shape, dtype: 'float64' as const, data: flat(v) });
const shapeOf = (v: unknown): number[] => {
  const s: number[] = [];
  let x = v;
  while (Array.isArray(x)) {
    s.push(x.length);
    x = x[0];
  }
  return s;
};

const exact = (name: string, got: unknown, want: unknown): Comparison => {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  return {
    name,
    shape: [],
    maxAbsError: ok ? 0 : Infinity,
    maxRelError: ok ? 0 : Infinity,
    ok,
    rule: ok ? 'equal' : `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
  };
};

// ---------------------------------------------------------------- walk-through: rnn + dense

interface WalkthroughCase {
  vocab: string[];
  input_text: string[];
  weights: Record<string, unknown>;
  expected: { hidden?: number[][]; logits?: number[][]; argmax_chars?: string[] };
}

const KINDS: Record<string, (units: number) => keras.Layer> = {
  rnn: (units) => new keras.SimpleRNN({ units, returnSequences: true }),
  simple_rnn: (units) => new keras.SimpleRNN({ units, returnSequences: true }),
  lstm: (units) => new keras.LSTM({ units, returnSequences: true }),
  gru: (units) => new keras.GRU({ units, returnSequences: true }),
};

export function isWalkthroughCase(json: unknown): json is WalkthroughCase {
  const c = json as WalkthroughCase;
  return !!c && Array.isArray(c.vocab) && Array.isArray(c.input_text) && !!c.weights && !!c.expected;
}

/** Input(T, V) → recurrent layer (returnSequences) → Dense with the case's weights, on one-hot input text. */
export function runWalkthroughCase(c: WalkthroughCase): Comparison[] {
  const kind = Object.keys(c.weights)
    .find((k) => k.endsWith('.recurrent_kernel'))
    ?.split('.')[0];
  if (!kind || !KINDS[kind])
    throw new Error(
      `walk-through case: no recognised recurrent weights (rnn.*, lstm.*, gru.*) in ${Object.keys(c.weights).join(', ')}`,
    );
  const units = shapeOf(c.weights[`${kind}.recurrent_kernel`])[0];
  const V = c.vocab.length;
  const T = c.input_text.length;
  const inputs = keras.Input({ shape: [T, V] });
  const rnn = KINDS[kind](units);
  const hidden = rnn.apply(inputs);
  const dense = new keras.Dense({ units: shapeOf(c.weights['dense.kernel'])[1] });
  const logits = dense.apply(hidden);
  const model = new keras.Model({ inputs, outputs: [hidden, logits] });
  const names = [`${kind}.kernel`, `${kind}.recurrent_kernel`, `${kind}.bias`, 'dense.kernel', 'dense.bias'].filter(
    (n) => n in c.weights,
  );
  model.setWeights(names.map((n) => c.weights[n] as number[]));
  const results: Comparison[] = [];
  tidy(() => {
    const ids = tensor([c.input_text.map((ch) => c.vocab.indexOf(ch))], { dtype: 'int32' });
    const [h, y] = model.predict(oneHot(ids, V)) as Tensor[];
    for (const [name, got, want] of [
      ['hidden', h, c.expected.hidden],
      ['logits', y, c.expected.logits],
    ] as const) {
      if (!want) continue;
      const steps = want.length;
      results.push(
        compareTensor(name, slice(got, [0, 0, 0], [1, steps, -1]), asFixture(want, [1, steps, want[0].length]), TOL),
      );
    }
    if (c.expected.argmax_chars) {
      const chars = Array.from(argMax(y, -1).dataSync()).map((i) => c.vocab[i]);
      results.push(exact('argmax characters', chars, c.expected.argmax_chars));
    }
  });
  model.dispose();
  return results;
}

// ---------------------------------------------------------------- Bidirectional with constant initializers

interface ConstantBidirectionalCase {
  input: number[][][];
  layer: {
    kind: 'LSTM' | 'GRU' | 'SimpleRNN';
    units: number;
    kernel_initializer: number;
    recurrent_initializer: number;
    bias_initializer: number;
    activation?: string;
    recurrent_activation?: string;
    merge_mode?: string;
    unit_forget_bias?: boolean;
    reset_after?: boolean;
  };
  expected: Record<string, { output: unknown; forward_h?: unknown; backward_h?: unknown }>;
}

export function isConstantBidirectionalCase(json: unknown): json is ConstantBidirectionalCase {
  const c = json as ConstantBidirectionalCase;
  return !!c?.layer?.kind && Array.isArray(c.input) && !!c.expected && typeof c.layer.kernel_initializer === 'number';
}

/** Bidirectional(kind(units) with constant kernels) per expected variant ('return_sequences_true' / '_false'). */
export function runConstantBidirectionalCase(c: ConstantBidirectionalCase): Comparison[] {
  const L = c.layer;
  const results: Comparison[] = [];
  for (const [variant, want] of Object.entries(c.expected)) {
    const returnSequences = /true/.test(variant);
    const options = {
      units: L.units,
      returnSequences,
      returnState: true,
      kernelInitializer: { name: 'constant', value: L.kernel_initializer },
      recurrentInitializer: { name: 'constant', value: L.recurrent_initializer },
      biasInitializer: { name: 'constant', value: L.bias_initializer },
      activation: L.activation ?? 'tanh',
      ...(L.kind !== 'SimpleRNN' ? { recurrentActivation: L.recurrent_activation ?? 'sigmoid' } : {}),
      ...(L.kind === 'LSTM' && L.unit_forget_bias !== undefined ? { unitForgetBias: L.unit_forget_bias } : {}),
      ...(L.kind === 'GRU' && L.reset_after !== undefined ? { resetAfter: L.reset_after } : {}),
    };
    const inner =
      L.kind === 'LSTM'
        ? new keras.LSTM(options)
        : L.kind === 'GRU'
          ? new keras.GRU(options)
          : new keras.SimpleRNN(options);
    const bi = new keras.Bidirectional(inner, { mergeMode: (L.merge_mode ?? 'concat') as keras.MergeMode });
    const states = L.kind === 'LSTM' ? 2 : 1;
    tidy(() => {
      const outs = bi.apply(tensor(c.input)) as unknown as Tensor[];
      results.push(compareTensor(`${variant} output`, outs[0], asFixture(want.output, shapeOf(want.output)), TOL));
      if (want.forward_h)
        results.push(
          compareTensor(`${variant} forward_h`, outs[1], asFixture(want.forward_h, shapeOf(want.forward_h)), TOL),
        );
      if (want.backward_h)
        results.push(
          compareTensor(
            `${variant} backward_h`,
            outs[1 + states],
            asFixture(want.backward_h, shapeOf(want.backward_h)),
            TOL,
          ),
        );
    });
    bi.dispose();
  }
  return results;
}

// ---------------------------------------------------------------- shape facts, written as Keras code

interface ShapesCase {
  cases: {
    model: string;
    params?: Record<string, number>;
    output_shapes?: Record<string, (number | null)[]>;
    output_shape?: number[];
    weight_shape?: number[];
    kernel_shape?: number[];
    fact?: string;
  }[];
}

export function isShapesCase(json: unknown): json is ShapesCase {
  const c = json as ShapesCase;
  return !!c && Array.isArray(c.cases) && c.cases.every((x) => typeof x?.model === 'string');
}

type Value = number | string | boolean | null | Value[] | Call;
interface Call {
  name: string;
  args: Value[];
  kwargs: Record<string, Value>;
}

/** A small reader for the Python call syntax the cases use: Sequential[Embedding(5000, 100), SimpleRNN(64, use_bias=False)]. */
function parse(text: string): Value {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): Value => {
    ws();
    const ch = text[i];
    if (ch === '[') {
      i++;
      const items: Value[] = [];
      ws();
      while (text[i] !== ']') {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        ws();
        if (i >= text.length) throw new Error(`unclosed [ in ${text}`);
      }
      i++;
      return items;
    }
    const num = /^-?\d+(\.\d+)?(e-?\d+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      return Number(num[0]);
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!id) throw new Error(`cannot read '${text.slice(i, i + 20)}' in ${text}`);
    i += id[0].length;
    if (id[0] === 'True' || id[0] === 'False') return id[0] === 'True';
    if (id[0] === 'None') return null;
    ws();
    if (text[i] === '[' && id[0] === 'Sequential') return { name: 'Sequential', args: [value()], kwargs: {} };
    if (text[i] !== '(') return id[0];
    i++;
    const call: Call = { name: id[0], args: [], kwargs: {} };
    ws();
    while (text[i] !== ')') {
      ws();
      const kw = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(text.slice(i));
      if (kw) {
        i += kw[0].length;
        call.kwargs[kw[1]] = value();
      } else call.args.push(value());
      ws();
      if (text[i] === ',') i++;
      if (i >= text.length) throw new Error(`unclosed ( in ${text}`);
    }
    i++;
    return call;
  };
  const v = value();
  ws();
  return v;
}

/** A Keras layer from a parsed call (positional arguments as Keras' constructors take them). */
function layerOf(c: Call): keras.Layer {
  const kw = Object.fromEntries(
    Object.entries(c.kwargs).map(([k, v]) => [k.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase()), v]),
  );
  const [a0, a1] = c.args;
  switch (c.name) {
    case 'Embedding':
      return new keras.Embedding({ inputDim: a0 as number, outputDim: a1 as number, ...kw });
    case 'SimpleRNN':
      return new keras.SimpleRNN({ units: a0 as number, ...kw });
    case 'LSTM':
      return new keras.LSTM({ units: a0 as number, ...kw });
    case 'GRU':
      return new keras.GRU({ units: a0 as number, ...kw });
    case 'Dense':
      return new keras.Dense({ units: a0 as number, ...(typeof a1 === 'string' ? { activation: a1 } : {}), ...kw });
    case 'Bidirectional':
      return new keras.Bidirectional(layerOf(a0 as Call) as keras.RNN, kw);
    default:
      throw new Error(`shapes case: layer ${c.name} is not known to this reader`);
  }
}

/** Keras' default names, as the cases key their facts: embedding, simple_rnn, lstm, dense, ... */
const snake = (n: string) =>
  n
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^simple_r_n_n$/, 'simple_rnn');

export function runShapesCase(c: ShapesCase): Comparison[] {
  const results: Comparison[] = [];
  let previous: { calls: Call[]; input: string } | null = null;
  for (const [k, fact] of c.cases.entries()) {
    const text = fact.model.trim();
    const tag = `case ${k}`;
    if (/^one_hot\(/.test(text)) {
      const call = parse(text) as Call;
      const ids = call.args[0] as number[];
      const depth = call.kwargs.depth as number;
      tidy(() => {
        const oh = oneHot(tensor(ids, { dtype: 'int32' }), depth);
        if (fact.output_shape) results.push(exact(`${tag} one_hot shape`, oh.shape, fact.output_shape));
        // Dense without bias on one-hot rows selects rows of its kernel: an embedding lookup.
        const d = new keras.Dense({ units: 2, useBias: false });
        const y = d.apply(oh);
        const kernel = d.getWeights()[0];
        const rows = matMul(oh, kernel);
        results.push(
          compareTensor(
            `${tag} Dense(use_bias=False) on one-hot = kernel rows`,
            y,
            { shape: [...rows.shape], dtype: 'float32', data: Array.from(rows.dataSync()) },
            TOL,
          ),
        );
        d.dispose();
      });
      continue;
    }
    let calls: Call[];
    let input = '';
    const same = /^same with (.*)$/.exec(text);
    if (same && previous) {
      // "same with k=v": the previous model with the recurrent layers' options changed.
      const change = parse(`f(${same[1]})`) as Call;
      const recurrent = new Set(['SimpleRNN', 'LSTM', 'GRU']);
      calls = previous.calls.map((c2) =>
        recurrent.has(c2.name) ? { ...c2, kwargs: { ...c2.kwargs, ...change.kwargs } } : c2,
      );
      input = previous.input;
    } else {
      const [modelText, onText = ''] = text.split(/\s+on\s+/);
      input = onText;
      const parsed = parse(modelText.replace(/\s*->\s*/g, ' , ').replace(/^(?!Sequential)(.*)$/, '[$1]'));
      calls = ((parsed as Call).name === 'Sequential' ? (parsed as Call).args[0] : parsed) as Value[] as Call[];
    }
    previous = { calls, input };
    const layers = calls.map(layerOf);
    const model = new keras.Sequential({ layers });
    // Input: explicit token ids, "[B,T] tokens" (random ids below the vocabulary), or a free shape.
    let x: Tensor | null = null;
    const vocab = (calls[0].args[0] as number) ?? 10;
    const ids = /int input (\[.*\])/.exec(input);
    const tokens = /(\[[\d,\s]+\])\s*tokens/.exec(input);
    if (ids) x = tensor(JSON.parse(ids[1]), { dtype: 'int32' });
    else if (tokens || (fact.output_shape && calls[0].name === 'Embedding')) {
      // No input given: batch and time are the expected output's first two axes.
      const [B, T] = tokens ? (JSON.parse(tokens[1]) as number[]) : (fact.output_shape as number[]);
      x = tidy(() => tensorOps(randomUniform([B, T], 0, vocab, { seed: 1 })));
    }
    if (x) {
      const y = model.predict(x) as Tensor;
      if (fact.output_shape) results.push(exact(`${tag} output shape`, y.shape, fact.output_shape));
      dispose([x, y]);
    } else model.build([null, null]);
    if (fact.output_shapes) {
      const rows = model.summaryRows();
      for (const [name, shape] of Object.entries(fact.output_shapes)) {
        const row = rows.find((r) => snake(r.className) === name);
        results.push(exact(`${tag} ${name} output shape`, row?.outputShape, shape));
      }
    }
    if (fact.params) {
      const rows = model.summaryRows();
      for (const [name, n] of Object.entries(fact.params)) {
        const got = name === 'total' ? model.countParams() : rows.find((r) => snake(r.className) === name)?.params;
        results.push(exact(`${tag} ${name} params`, got, n));
      }
    }
    if (fact.kernel_shape) {
      const rec = layers.find((l) => l instanceof keras.RNN || l instanceof keras.Bidirectional);
      results.push(exact(`${tag} kernel shape`, rec?.getWeights()[0].shape, fact.kernel_shape));
    }
    if (fact.weight_shape)
      results.push(exact(`${tag} weight shape`, layers[0].getWeights()[0].shape, fact.weight_shape));
    model.dispose();
  }
  return results;
}

/** Whole-number token ids from uniform draws. */
function tensorOps(u: Tensor): Tensor {
  return tensor(
    Array.from(u.dataSync(), (v) => Math.floor(v)),
    { shape: [...u.shape], dtype: 'int32' },
  );
}
