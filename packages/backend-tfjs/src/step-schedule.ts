import { ValueError } from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';
import { gather } from './host-gather';

/**
 * Which rows of a [B, T, ·] batch a fused recurrent kernel processes at each step, as in PyTorch's
 * packed sequences: rows sorted by length, longest first, so that step s works on the first
 * `active(s)` rows only and padding costs no compute. Processing step s of row b is time step s,
 * or len_b − 1 − s for the reverse direction. Without lengths every row runs every step, in
 * order. Row-level data is addressed as rows b·T + t of a [B·T, W] matrix.
 */
export class StepSchedule {
  /** Batch rows by length, longest first (stable), or null when already in that order. */
  private readonly order: Int32Array | null;
  private readonly counts: number[];
  private readonly rows: Int32Array[];
  /** Where step s's rows start in step-major layout; the last entry is the total. */
  private readonly offsets: number[];

  constructor(
    private readonly batch: number,
    private readonly time: number,
    private readonly lengths: number[] | null,
    private readonly reverse: boolean,
  ) {
    const lens = lengths ?? new Array(batch).fill(time);
    lens.forEach((len, b) => {
      if (!(Number.isInteger(len) && len >= 0 && len <= time)) {
        throw new ValueError(`backend tfjs: sequence length ${len} of batch row ${b} is outside [0, ${time}]`);
      }
    });
    const sorted = Int32Array.from(lens.keys()).sort((a, b) => lens[b] - lens[a] || a - b);
    this.order = sorted.every((b, i) => b === i) ? null : sorted;
    this.counts = [];
    for (let s = 0; s < time && lens[sorted[0]] > s; s++) {
      let n = 0;
      while (n < batch && lens[sorted[n]] > s) n++;
      this.counts.push(n);
    }
    this.offsets = [0];
    for (const n of this.counts) this.offsets.push(this.offsets[this.offsets.length - 1] + n);
    this.rows = this.counts.map((n, s) =>
      Int32Array.from({ length: n }, (_, r) => {
        const b = sorted[r];
        return b * time + (reverse ? lens[b] - 1 - s : s);
      }),
    );
  }

  /** Processing steps with at least one row running (the longest length). */
  get steps(): number {
    return this.counts.length;
  }

  /** Rows running at step s: the first active(s) rows in length order. */
  active(s: number): number {
    return this.counts[s];
  }

  /** [B, ·] rows into length order. */
  sort<R extends tf.Tensor>(t: R): R {
    return this.order ? gather(t, this.order) : t;
  }

  /** [B, ·] rows from length order back to batch order. */
  unsort<R extends tf.Tensor>(t: R): R {
    if (!this.order) return t;
    const inverse = new Int32Array(this.batch);
    this.order.forEach((b, i) => {
      inverse[b] = i;
    });
    return gather(t, inverse);
  }

  /**
   * Step inputs from a step-major [Σ active, W] matrix (the layout of `gatherSteps`): step s's
   * [active(s), W / parts] block of part p (a gate's columns). The matrix is downloaded once,
   * part-major, so that every block is a contiguous subarray.
   */
  stepBlocks(rows: tf.Tensor, parts = 1): (s: number, part?: number) => tf.Tensor2D {
    const [total, W] = rows.shape as [number, number];
    const w = W / parts;
    const data = tf.tidy(() => tf.transpose(tf.reshape(rows, [total, parts, w]), [1, 0, 2])).dataSync() as Float32Array;
    return (s, part = 0) => {
      const first = (part * total + this.offsets[s]) * w;
      return tf.tensor2d(data.subarray(first, first + this.counts[s] * w), [this.counts[s], w]);
    };
  }

  /** The rows of every step in processing order (step-major), gathered from a [B·T, W] matrix. */
  gatherSteps(t2: tf.Tensor): tf.Tensor2D {
    const all = new Int32Array(this.offsets[this.steps]);
    this.rows.forEach((r, s) => {
      all.set(r, this.offsets[s]);
    });
    return gather(t2, all) as tf.Tensor2D;
  }

  /** Per-step [active(s), W] outputs as a [B, T, W] tensor in time order, zeros at padding. */
  stack(steps: tf.Tensor2D[]): tf.Tensor3D {
    if (this.lengths) return this.toTimeOrder(tf.concat(steps, 0));
    const t = tf.stack(steps, 1) as tf.Tensor3D;
    return this.reverse ? tf.reverse(t, 1) : t;
  }

  /**
   * The inverse of `gatherSteps`: every step's rows (step-major, [Σ active, W]) back to a
   * [B, T, W] tensor in time order, zeros at padding.
   */
  toTimeOrder(stepRows: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = [this.batch, this.time];
    const W = stepRows.shape[1];
    if (!this.lengths) {
      const t = tf.transpose(tf.reshape(stepRows, [T, B, W]), [1, 0, 2]) as tf.Tensor3D;
      return this.reverse ? tf.reverse(t, 1) : t;
    }
    const total = stepRows.shape[0];
    const index = new Int32Array(B * T).fill(total); // the zero row appended below
    let at = 0;
    for (const r of this.rows) {
      for (const row of r) index[row] = at++;
    }
    const withZero = tf.concat([stepRows, tf.zeros([1, W])], 0);
    return tf.reshape(gather(withZero, index), [B, T, W]) as tf.Tensor3D;
  }
}
