import { type DType, defaultRng, formatShape, type Rng, sizeOf, type Tensor, tensor } from '@recur/tensor';

/** Fills a new tensor of `shape`. `fanIn` / `fanOut` default to Keras' reading of a kernel [in, out]. */
export type Initializer = (shape: readonly number[], options: InitOptions) => Tensor;

export interface InitOptions {
  dtype?: DType;
  rng?: Rng;
  fanIn?: number;
  fanOut?: number;
}

/** An initializer by name (Keras' names, camelCase), with its arguments, or a function. */
export type InitializerSpec =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'orthogonal'
  | 'heUniform'
  | 'heNormal'
  | 'zeros'
  | 'ones'
  | { name: 'constant'; value: number }
  | { name: 'uniform'; minval?: number; maxval?: number }
  | { name: 'normal'; mean?: number; stddev?: number }
  | { name: 'orthogonal'; gain?: number }
  | Initializer;

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
  if (shape.length < 2) throw new Error(`orthogonal: needs a shape of rank ≥ 2, got ${formatShape(shape)}`);
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

/** Resolves an initializer spec to a function. */
export function initializer(spec: InitializerSpec): Initializer {
  if (typeof spec === 'function') return spec;
  const named = typeof spec === 'string' ? { name: spec } : spec;
  switch (named.name) {
    case 'glorotUniform':
      return (shape, o) => {
        const [fi, fo] = fans(shape, o);
        const limit = Math.sqrt(6 / (fi + fo));
        return fill(shape, o, (r) => r.uniform(-limit, limit));
      };
    case 'glorotNormal':
      return (shape, o) => {
        const [fi, fo] = fans(shape, o);
        const std = Math.sqrt(2 / (fi + fo)) / 0.8796256610342398;
        return fill(shape, o, (r) => truncatedNormal(r, std));
      };
    case 'heUniform':
      return (shape, o) => {
        const limit = Math.sqrt(6 / fans(shape, o)[0]);
        return fill(shape, o, (r) => r.uniform(-limit, limit));
      };
    case 'heNormal':
      return (shape, o) => {
        const std = Math.sqrt(2 / fans(shape, o)[0]) / 0.8796256610342398;
        return fill(shape, o, (r) => truncatedNormal(r, std));
      };
    case 'orthogonal': {
      const gain = 'gain' in named && named.gain !== undefined ? named.gain : 1;
      return (shape, o) => orthogonal(shape, o, gain);
    }
    case 'zeros':
      return (shape, o) => fill(shape, o, () => 0);
    case 'ones':
      return (shape, o) => fill(shape, o, () => 1);
    case 'constant': {
      const v = (named as { value: number }).value;
      return (shape, o) => fill(shape, o, () => v);
    }
    case 'uniform': {
      const { minval = -0.05, maxval = 0.05 } = named as { minval?: number; maxval?: number };
      return (shape, o) => fill(shape, o, (r) => r.uniform(minval, maxval));
    }
    case 'normal': {
      const { mean = 0, stddev = 0.05 } = named as { mean?: number; stddev?: number };
      return (shape, o) => fill(shape, o, (r) => r.normal(mean, stddev));
    }
    default:
      throw new Error(`initializer: unknown initializer '${(named as { name: string }).name}'`);
  }
}

/** PyTorch's default for recurrent and linear layers: U(-1/√fan, 1/√fan). */
export function torchUniform(bound: number): Initializer {
  return (shape, o) => fill(shape, o, (r) => r.uniform(-bound, bound));
}
