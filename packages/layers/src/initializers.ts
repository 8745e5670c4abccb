import {
  ConfigError,
  type DType,
  defaultRng,
  formatShape,
  own,
  type Rng,
  ShapeError,
  sizeOf,
  type Tensor,
  tensor,
} from '@recur/tensor';

/** Fills a new tensor of `shape`. `fanIn` / `fanOut` default to Keras' reading of a kernel [in, out]. */
export type Initializer = (shape: readonly number[], options: InitOptions) => Tensor;

/** What an initializer is told besides the shape. */
export interface InitOptions {
  /** The new tensor's dtype (default float32). */
  dtype?: DType;
  /** The generator to draw from (default: the global one). */
  rng?: Rng;
  /** Inputs per unit; default from the shape (Keras' reading). */
  fanIn?: number;
  /** Outputs per unit; default from the shape (Keras' reading). */
  fanOut?: number;
}

/** An initializer's canonical form: a camelCase name and its arguments (Keras' names and defaults). */
export interface InitializerConfig {
  /** The initializer, by recur's camelCase name. */
  name:
    | 'zeros'
    | 'ones'
    | 'constant'
    | 'uniform'
    | 'normal'
    | 'truncatedNormal'
    | 'glorotUniform'
    | 'glorotNormal'
    | 'heUniform'
    | 'heNormal'
    | 'lecunUniform'
    | 'lecunNormal'
    | 'orthogonal'
    | 'identity'
    | 'varianceScaling';
  /** constant's value. */
  value?: number;
  /** uniform's lower bound. */
  minval?: number;
  /** uniform's upper bound. */
  maxval?: number;
  /** normal's and truncatedNormal's mean. */
  mean?: number;
  /** normal's and truncatedNormal's standard deviation. */
  stddev?: number;
  /** orthogonal's and identity's multiplier. */
  gain?: number;
  /** varianceScaling's scale. */
  scale?: number;
  /** varianceScaling's fan: in, out or their average. */
  mode?: 'fanIn' | 'fanOut' | 'fanAvg';
  /** varianceScaling's distribution. */
  distribution?: 'truncatedNormal' | 'untruncatedNormal' | 'uniform';
  /** A seed for this initializer's own generator (Keras' seed argument). */
  seed?: number;
}

/**
 * An initializer by name, in any of the spellings people bring: recur's and tfjs' camelCase
 * (`'glorotUniform'`), Keras' snake_case (`'glorot_uniform'`) and class names (`'GlorotUniform'`),
 * an object `{ name, ...args }`, a Keras config `{ class_name: 'Constant', config: { value: 0.1 } }`
 * (or tfjs' `className`), or a function.
 */
export type InitializerSpec =
  | string
  | (Partial<Omit<InitializerConfig, 'name'>> & {
      /** The initializer's name, in any spelling. */
      name: string;
    })
  | {
      /** Keras' class name ('Constant', 'GlorotUniform'). */
      class_name: string;
      /** Its arguments, in Keras' spelling. */
      config?: Record<string, unknown>;
    }
  | {
      /** tfjs' class name. */
      className: string;
      /** Its arguments. */
      config?: Record<string, unknown>;
    }
  | Initializer;

const INIT_NAMES: Record<string, InitializerConfig['name']> = {
  zeros: 'zeros',
  zero: 'zeros',
  ones: 'ones',
  one: 'ones',
  constant: 'constant',
  uniform: 'uniform',
  randomuniform: 'uniform',
  normal: 'normal',
  randomnormal: 'normal',
  truncatednormal: 'truncatedNormal',
  glorotuniform: 'glorotUniform',
  glorotnormal: 'glorotNormal',
  heuniform: 'heUniform',
  henormal: 'heNormal',
  lecununiform: 'lecunUniform',
  lecunnormal: 'lecunNormal',
  orthogonal: 'orthogonal',
  identity: 'identity',
  variancescaling: 'varianceScaling',
};

const MODES: Record<string, InitializerConfig['mode']> = { fanin: 'fanIn', fanout: 'fanOut', fanavg: 'fanAvg' };
const DISTRIBUTIONS: Record<string, InitializerConfig['distribution']> = {
  // Keras 2 and tfjs call the truncated normal 'normal'.
  normal: 'truncatedNormal',
  truncatednormal: 'truncatedNormal',
  untruncatednormal: 'untruncatedNormal',
  uniform: 'uniform',
};

const squash = (s: unknown) => String(s).toLowerCase().replace(/_/g, '');
const NUMBER_ARGS = ['value', 'minval', 'maxval', 'mean', 'stddev', 'gain', 'scale', 'seed'] as const;

/** The canonical form of a named initializer spec (a function is returned as is). */
export function canonicalInitializer(spec: InitializerSpec): InitializerConfig | Initializer {
  if (typeof spec === 'function') return spec;
  let rawName: string;
  let args: Record<string, unknown>;
  if (typeof spec === 'string') {
    rawName = spec;
    args = {};
  } else if (spec && typeof spec === 'object' && ('class_name' in spec || 'className' in spec)) {
    rawName = String('class_name' in spec ? spec.class_name : spec.className);
    args = { ...((spec as { config?: Record<string, unknown> }).config ?? {}) };
  } else if (spec && typeof spec === 'object' && 'name' in spec) {
    const { name, ...rest } = spec as { name: string };
    rawName = name;
    args = rest;
  } else {
    throw new ConfigError(
      `initializer: expected a name, { name, ... } or { class_name, config }, got ${JSON.stringify(spec)}`,
    );
  }
  const name = own(INIT_NAMES, squash(rawName));
  if (!name) throw new ConfigError(`initializer: unknown initializer '${rawName}'`);
  const out: InitializerConfig = { name };
  for (const [k, v] of Object.entries(args)) {
    const key = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (v === null || v === undefined) continue;
    if ((NUMBER_ARGS as readonly string[]).includes(key)) {
      if (typeof v !== 'number') {
        throw new ConfigError(`initializer ${rawName}: ${k} should be a number, got ${JSON.stringify(v)}`);
      }
      out[key as (typeof NUMBER_ARGS)[number]] = v;
    } else if (key === 'mode') {
      const m = own(MODES, squash(v));
      if (!m) {
        throw new ConfigError(
          `initializer ${rawName}: mode should be fan_in, fan_out or fan_avg, got ${JSON.stringify(v)}`,
        );
      }
      out.mode = m;
    } else if (key === 'distribution') {
      const d = own(DISTRIBUTIONS, squash(v));
      if (!d) throw new ConfigError(`initializer ${rawName}: unknown distribution ${JSON.stringify(v)}`);
      out.distribution = d;
    } else if (key !== 'dtype') {
      throw new ConfigError(`initializer ${rawName}: unknown argument '${k}'`);
    }
  }
  return out;
}

function fans(shape: readonly number[], o: InitOptions): [number, number] {
  if (o.fanIn !== undefined && o.fanOut !== undefined) return [o.fanIn, o.fanOut];
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  const receptive = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function fill(shape: readonly number[], o: InitOptions, draw: (rng: Rng) => number): Tensor {
  const rng = o.rng ?? defaultRng();
  const values = new Float64Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = draw(rng);
  return tensor(values, { shape, dtype: o.dtype ?? 'float32' });
}

/** Normal draws cut at two standard deviations, as Keras' TruncatedNormal. */
function truncatedNormal(rng: Rng, stddev: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= 2) return z * stddev;
  }
}

/**
 * A (semi-)orthogonal matrix as Keras builds it: QR of a normal matrix with the signs of R's
 * diagonal folded into Q, transposed when there are fewer rows than columns.
 */
function orthogonal(shape: readonly number[], o: InitOptions, gain = 1): Tensor {
  if (shape.length < 2) throw new ShapeError(`orthogonal: needs a shape of rank ≥ 2, got ${formatShape(shape)}`);
  const cols = shape[shape.length - 1];
  const rows = sizeOf(shape) / cols;
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const rng = o.rng ?? defaultRng();
  // a: n×k, columns orthonormalised by modified Gram–Schmidt (= Q of a thin QR, R's diagonal > 0).
  const a = Array.from({ length: k }, () => Array.from({ length: n }, () => rng.normal()));
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += a[j][i] * a[p][i];
      for (let i = 0; i < n; i++) a[j][i] -= dot * a[p][i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[j][i] * a[j][i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) a[j][i] /= norm;
  }
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // q is n×k with q[i][j] = a[j][i]; the result is q (rows ≥ cols) or qᵀ.
      values[r * cols + c] = gain * (rows >= cols ? a[c][r] : a[r][c]);
    }
  }
  return tensor(values, { shape, dtype: o.dtype ?? 'float32' });
}

function varianceScaling(c: InitializerConfig): Initializer {
  const scale = c.scale ?? 1;
  const mode = c.mode ?? 'fanIn';
  const distribution = c.distribution ?? 'truncatedNormal';
  return (shape, o) => {
    const [fi, fo] = fans(shape, o);
    const n = Math.max(1, mode === 'fanIn' ? fi : mode === 'fanOut' ? fo : (fi + fo) / 2);
    const s = scale / n;
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      return fill(shape, o, (r) => r.uniform(-limit, limit));
    }
    if (distribution === 'untruncatedNormal') {
      const std = Math.sqrt(s);
      return fill(shape, o, (r) => r.normal(0, std));
    }
    const std = Math.sqrt(s) / 0.8796256610342398;
    return fill(shape, o, (r) => truncatedNormal(r, std));
  };
}

/** Resolves an initializer spec (any spelling, see InitializerSpec) to a function. */
export function initializer(spec: InitializerSpec): Initializer {
  const c = canonicalInitializer(spec);
  if (typeof c === 'function') return c;
  switch (c.name) {
    case 'glorotUniform':
      return varianceScaling({ name: 'varianceScaling', scale: 1, mode: 'fanAvg', distribution: 'uniform' });
    case 'glorotNormal':
      return varianceScaling({ name: 'varianceScaling', scale: 1, mode: 'fanAvg' });
    case 'heUniform':
      return varianceScaling({ name: 'varianceScaling', scale: 2, mode: 'fanIn', distribution: 'uniform' });
    case 'heNormal':
      return varianceScaling({ name: 'varianceScaling', scale: 2, mode: 'fanIn' });
    case 'lecunUniform':
      return varianceScaling({ name: 'varianceScaling', scale: 1, mode: 'fanIn', distribution: 'uniform' });
    case 'lecunNormal':
      return varianceScaling({ name: 'varianceScaling', scale: 1, mode: 'fanIn' });
    case 'varianceScaling':
      return varianceScaling(c);
    case 'orthogonal':
      return (shape, o) => orthogonal(shape, o, c.gain ?? 1);
    case 'identity':
      return (shape, o) => {
        if (shape.length !== 2) {
          throw new ConfigError(`identity initializer: needs a 2-D shape, got ${formatShape(shape)}`);
        }
        const gain = c.gain ?? 1;
        const [rows, cols] = shape;
        const values = new Float64Array(rows * cols);
        for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = gain;
        return tensor(values, { shape, dtype: o.dtype ?? 'float32' });
      };
    case 'zeros':
      return (shape, o) => fill(shape, o, () => 0);
    case 'ones':
      return (shape, o) => fill(shape, o, () => 1);
    case 'constant': {
      const v = c.value ?? 0;
      return (shape, o) => fill(shape, o, () => v);
    }
    case 'uniform': {
      const { minval = -0.05, maxval = 0.05 } = c;
      return (shape, o) => fill(shape, o, (r) => r.uniform(minval, maxval));
    }
    case 'normal': {
      const { mean = 0, stddev = 0.05 } = c;
      return (shape, o) => fill(shape, o, (r) => r.normal(mean, stddev));
    }
    case 'truncatedNormal': {
      const { mean = 0, stddev = 0.05 } = c;
      return (shape, o) => fill(shape, o, (r) => mean + truncatedNormal(r, stddev));
    }
  }
}

/** PyTorch's default for recurrent and linear layers: U(-1/√fan, 1/√fan). */
export function torchUniform(bound: number): Initializer {
  return (shape, o) => fill(shape, o, (r) => r.uniform(-bound, bound));
}
