import type { Tensor, TypedArray } from '@recur/tensor';

/**
 * A computation that needs values from the device, written once for both kinds of backend: it
 * yields each tensor it must read and is handed back its values. `readSync` drives it with
 * `dataSync` (backends that read synchronously), `readAsync` with `await data()` (any backend);
 * both give the same numbers.
 */
export type Reads<T> = Generator<Tensor, T, TypedArray>;

/** Runs a Reads computation reading each value synchronously (`dataSync`). */
export function readSync<T>(g: Reads<T>): T {
  let r = g.next();
  while (!r.done) r = g.next(r.value.dataSync());
  return r.value;
}

/** Runs a Reads computation awaiting each value (`data()`): any backend. */
export async function readAsync<T>(g: Reads<T>): Promise<T> {
  let r = g.next();
  while (!r.done) r = g.next(await r.value.data());
  return r.value;
}
