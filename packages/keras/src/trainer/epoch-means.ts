import type { Logs } from '@recur/train';

const f = Math.fround;

/**
 * Epoch means of per-batch values the way tfjs' BaseLogger computes them: each batch's value
 * times its size summed in float32, then times fround(1 / samples), so that epoch losses and
 * accuracies equal tfjs-layers' to the last bit.
 */
export class EpochMeans {
  /** Each name's Σ value · size, in float32. */
  protected totals = new Map<string, number>();
  /** Samples added. */
  protected seen = 0;

  /** Adds one batch's values, weighted by its size. */
  add(logs: Logs, size: number): void {
    this.seen += size;
    for (const [k, v] of Object.entries(logs)) this.totals.set(k, f((this.totals.get(k) ?? 0) + f(f(v) * size)));
  }

  /** The per-sample means so far. */
  means(): Logs {
    const scale = f(1 / this.seen);
    return Object.fromEntries([...this.totals].map(([k, v]) => [k, f(scale * v)]));
  }

  /** Samples added so far. */
  get samples(): number {
    return this.seen;
  }
}

/** tfjs' evaluation loop: the same sums, divided by the sample count (not times its reciprocal). */
export class EvaluationMeans extends EpochMeans {
  override means(): Logs {
    return Object.fromEntries([...this.totals].map(([k, v]) => [k, f(v / this.seen)]));
  }
}
