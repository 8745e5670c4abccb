import {
  allocTypedArray,
  checkElements,
  type DType,
  DTypeError,
  formatShape,
  RecurError,
  ShapeError,
} from '@recur/backend-api';
import { getBackend } from './engine';
import { Tensor } from './tensor';

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Its whole state is
 * four 32-bit words, so a checkpoint can save and restore it exactly.
 */
export class Rng {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the sequence from `seed`. */
  seed(seed: number): void {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spareNormal = null;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A number drawn uniformly from [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal by the Box–Muller transform (pairs, the second one kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The generator's state, as plain numbers: `setState` with it replays the same draws. */
  getState(): RngState {
    return { s: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Restores a state `getState` returned. */
  setState(state: RngState): void {
    if (state.s.length !== 4) throw new RecurError(`Rng.setState: expected 4 state words, got ${state.s.length}`);
    this.s.set(state.s);
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const globalRng = new Rng(0);

/** Seeds the generator that random ops use when no `rng` is given (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  globalRng.seed(seed);
}

/** The generator random ops use by default. */
export function defaultRng(): Rng {
  return globalRng;
}

/** An Rng's state (xoshiro128** words and the spare normal draw), as checkpoints store it. */
export interface RngState {
  /** The four 32-bit state words. */
  s: readonly number[];
  /** The second normal of the last Box–Muller pair, not yet returned. */
  spareNormal: number | null;
}

/** Options of the random tensor makers. */
export interface RandomOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
  /** The generator to draw from; a number seeds a fresh one; default: the global generator. */
  seed?: number | Rng;
}

function rngOf(seed: number | Rng | undefined): Rng {
  if (seed === undefined) return globalRng;
  return typeof seed === 'number' ? new Rng(seed) : seed;
}

function randomTensor(op: string, shape: readonly number[], dtype: DType, draw: () => number): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  }
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: bad shape ${formatShape(shape)}`);
  const data = allocTypedArray(dtype, checkElements(op, shape));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  const backend = getBackend();
  return new Tensor(backend.fromValues(data, shape, dtype), backend);
}

/** A tensor of normal draws N(mean, std²) from the global generator (or `options.rng`). */
export function randomNormal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  const rng = rngOf(options.seed);
  return randomTensor('randomNormal', shape, options.dtype ?? 'float32', () => rng.normal(mean, std));
}

/** A tensor of uniform draws from [low, high) from the global generator (or `options.rng`). */
export function randomUniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  const rng = rngOf(options.seed);
  return randomTensor('randomUniform', shape, options.dtype ?? 'float32', () => rng.uniform(low, high));
}
