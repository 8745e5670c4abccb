import type { Chooser } from './random';

/** A file set to start mutating from: a main file and the files next to it. */
export interface Seed {
  /** For reports: which fixture. */
  name: string;
  main: string;
  files: Record<string, Uint8Array>;
  /** Target-specific data (a fixture's inputs). */
  extra?: unknown;
}

/** What a target reports about a file the library accepted: a broken rule, or nothing. */
export type Verdict = { invalid: string } | undefined;

export interface FuzzTarget {
  name: string;
  /** The vendored files (and files made from them) the mutations start from. */
  seeds(): Promise<Seed[]>;
  /** One mutated case made from a seed. */
  mutate(c: Chooser, seed: Seed): Seed;
  /** Runs the library on the case, with `dir` as a folder of its own; returns when the file was accepted. */
  run(kase: Seed, dir: string): Promise<Verdict>;
}
