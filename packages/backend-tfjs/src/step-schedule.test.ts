import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepSchedule } from './step-schedule';
import { TfjsBackend } from './tfjs-backend';

beforeAll(() => new TfjsBackend({ backend: 'cpu' }).init());

/** A [B·T, 1] matrix whose row b·T + t holds 10·b + t. */
const ids = (B: number, T: number) =>
  tf.tensor2d(
    Array.from({ length: B * T }, (_, i) => 10 * Math.floor(i / T) + (i % T)),
    [B * T, 1],
  );

describe('StepSchedule (packed-sequence order for the fused tfjs kernels)', () => {
  it('runs the longest rows first and only the rows still inside their sequence', () => {
    const s = new StepSchedule(3, 4, [2, 4, 3], false);
    expect(s.steps).toBe(4);
    expect([0, 1, 2, 3].map((t) => s.active(t))).toEqual([3, 3, 2, 1]);
    // Step-major rows: row order 1, 2, 0 (by length); each step's rows at time step s.
    const steps = s.gatherSteps(ids(3, 4));
    expect(Array.from(steps.dataSync())).toEqual([10, 20, 0, 11, 21, 1, 12, 22, 13]);
    // And back: time order, zeros past each length.
    const back = s.toTimeOrder(tf.add(steps, 100) as tf.Tensor2D);
    expect(back.arraySync()).toEqual([
      [[100], [101], [0], [0]],
      [[110], [111], [112], [113]],
      [[120], [121], [122], [0]],
    ]);
  });

  it('walks each sequence from its own end in the reverse direction', () => {
    const s = new StepSchedule(2, 3, [2, 3], true);
    expect(Array.from(s.gatherSteps(ids(2, 3)).dataSync())).toEqual([12, 1, 11, 0, 10]);
  });

  it('sorts and unsorts batch rows, and leaves rows alone without lengths', () => {
    const s = new StepSchedule(3, 4, [2, 4, 3], false);
    const h = tf.tensor2d([[0], [1], [2]]);
    expect(Array.from(s.sort(h).dataSync())).toEqual([1, 2, 0]);
    expect(Array.from(s.unsort(s.sort(h)).dataSync())).toEqual([0, 1, 2]);
    const plain = new StepSchedule(3, 4, null, false);
    expect(plain.sort(h)).toBe(h);
    expect(plain.steps).toBe(4);
    // Step-major [B·T, 2] rows (B 2, T 3), two parts of one column: step 1 is rows 2–3, part 1 column 1.
    const blocks = new StepSchedule(2, 3, null, false).stepBlocks(
      tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [6, 2]),
      2,
    );
    expect(Array.from(blocks(1, 1).dataSync())).toEqual([6, 8]);
  });

  it('has no steps when every length is 0, and names a length outside [0, T]', () => {
    expect(new StepSchedule(2, 3, [0, 0], false).steps).toBe(0);
    expect(() => new StepSchedule(2, 3, [1, 4], false)).toThrow(/length 4 of batch row 1 is outside \[0, 3\]/);
  });
});
