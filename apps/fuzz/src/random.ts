import { Rng } from '@recur/tensor';

/** The harness's seeded choices: every case is reproducible from (seed, case number). */
export class Chooser {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.rng.int(n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seed of case `index` of a run seeded `seed`: cases are independent, and runs of different seeds share none. */
export function caseSeed(seed: number, index: number): number {
  return mix32(mix32(seed) + Math.imul(index + 1, 0x9e3779b9));
}

/** Numbers that break sizes, offsets and counts. */
export const INTERESTING_INTS = [
  0,
  1,
  -1,
  2,
  7,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 40,
  2 ** 53,
  -(2 ** 53),
  1e9,
];
