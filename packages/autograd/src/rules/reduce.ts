import { broadcastTo, cast, div, equal, mul, reshape, sum, type Tensor } from '@recur/tensor';
import type { GradRule } from './rule';

function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** max/min: the gradient goes to the extreme entries, split evenly between ties (as torch.amax). */
const extremeRule: GradRule = ({ inputs: [x], outputs: [y], attrs }, [dy]) => {
  const axes = attrs.axes as number[];
  const kept = keptShape(x, axes);
  const mask = cast(equal(x, reshape(y, kept)), dy.dtype);
  const count = sum(mask, axes, { keepDims: true });
  return [mul(div(mask, count), reshape(dy, kept))];
};

export const reduceRules: Record<string, GradRule> = {
  sum: ({ inputs: [x], attrs }, [dy]) => [broadcastTo(reshape(dy, keptShape(x, attrs.axes as number[])), x.shape)],
  max: extremeRule,
  min: extremeRule,
  argMax: () => [null],
  argMin: () => [null],
  equal: () => [null, null],
  notEqual: () => [null, null],
  less: () => [null, null],
  lessEqual: () => [null, null],
  greater: () => [null, null],
  greaterEqual: () => [null, null],
};
