import { describe, expect, it } from 'vitest';
import {
  add,
  arange,
  broadcastTo,
  full,
  getLimits,
  LimitError,
  matMul,
  numTensors,
  pad,
  type RecurError,
  randomNormal,
  setLimits,
  tensor,
  ValueError,
  zeros,
} from './index';

/** The error `f` throws (the test fails when it throws nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('limits', () => {
  it('refuses sizes over the element cap before allocating, naming the op and the size', () => {
    const start = numTensors();
    const e = thrown(() => full([65536, 65536], 1));
    expect(e).toBeInstanceOf(LimitError);
    expect((e as RecurError).code).toBe('limit');
    expect(e.message).toContain('full');
    expect(e.message).toContain('[65536, 65536]');
    expect(e.message).toContain('4,294,967,296');
    expect(thrown(() => arange(0, 2 ** 31)).message).toMatch(/arange\(0, 2147483648, 1\).*over the limit/);
    const row = zeros([1, 65536]);
    const col = zeros([65536, 1]);
    expect(thrown(() => add(row, col))).toBeInstanceOf(LimitError);
    expect(thrown(() => broadcastTo(row, [65536, 65536]))).toBeInstanceOf(LimitError);
    expect(thrown(() => matMul(col, row))).toBeInstanceOf(LimitError);
    expect(thrown(() => pad(row, [[0, 65535]]))).toBeInstanceOf(LimitError);
    expect(thrown(() => randomNormal([1 << 20, 1 << 20]))).toBeInstanceOf(LimitError);
    row.dispose();
    col.dispose();
    expect(numTensors()).toBe(start);
  });

  it('non-finite arange bounds are a ValueError, not a typed-array failure', () => {
    expect(thrown(() => arange(0, Number.POSITIVE_INFINITY))).toBeInstanceOf(ValueError);
    expect(thrown(() => arange(0, Number.NaN))).toBeInstanceOf(ValueError);
  });

  it('setLimits lowers and restores the caps', () => {
    const previous = setLimits({ maxElements: 100 });
    try {
      expect(getLimits().maxElements).toBe(100);
      expect(thrown(() => full([11, 10], 0)).message).toContain('over the limit of 100');
      const ok = full([10, 10], 0);
      expect(ok.size).toBe(100);
      ok.dispose();
      expect(thrown(() => setLimits({ maxBytes: -1 }))).toBeInstanceOf(LimitError);
    } finally {
      setLimits(previous);
    }
    expect(getLimits().maxElements).toBe(2 ** 28);
    const t = tensor([1, 2, 3]);
    expect(t.size).toBe(3);
    t.dispose();
  });
});
