import {
  arange,
  concat,
  gather,
  pad,
  reshape,
  scatterAdd,
  slice,
  split,
  type Tensor,
  transpose,
  zeros,
} from '@recur/tensor';
import { unbroadcast } from './helpers';
import type { GradRule } from './rule';

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/** Puts dy back where a strided slice took it from: pad for unit steps, else one scatter per axis. */
function unslice(x: Tensor, dy: Tensor, begin: number[], size: number[], step: number[]): Tensor {
  if (step.every((s) => s === 1)) {
    return pad(
      dy,
      x.shape.map((d, i) => [begin[i], d - begin[i] - size[i]] as [number, number]),
    );
  }
  let g = dy;
  for (let axis = 0; axis < x.rank; axis++) {
    if (size[axis] === x.shape[axis] && step[axis] === 1) continue;
    const shape = [...g.shape];
    shape[axis] = x.shape[axis];
    const positions = arange(begin[axis], begin[axis] + size[axis] * step[axis], step[axis], 'int32');
    g = scatterAdd(shape, positions, g, axis);
  }
  return g;
}

export const movementRules: Record<string, GradRule> = {
  reshape: ({ inputs: [x] }, [dy]) => [reshape(dy, x.shape)],
  transpose: ({ attrs }, [dy]) => [transpose(dy, inversePermutation(attrs.perm as number[]))],
  broadcastTo: ({ inputs: [x] }, [dy]) => [unbroadcast(dy, x.shape)],
  slice: ({ inputs: [x], attrs }, [dy]) => [
    unslice(x, dy, attrs.begin as number[], attrs.size as number[], attrs.step as number[]),
  ],
  split: ({ inputs: [x], outputs, attrs }, dys) => [
    concat(
      outputs.map((y, i) => dys[i] ?? zeros(y.shape, x.dtype)),
      attrs.axis as number,
    ),
  ],
  concat: ({ inputs, attrs }, [dy]) =>
    split(
      dy,
      inputs.map((x) => x.shape[attrs.axis as number]),
      attrs.axis as number,
    ),
  pad: ({ inputs: [x], attrs }, [dy]) => [
    slice(
      dy,
      (attrs.paddings as [number, number][]).map(([before]) => before),
      x.shape,
    ),
  ],
  gather: ({ inputs: [x, indices], attrs }, [dy]) => [scatterAdd(x.shape, indices, dy, attrs.axis as number), null],
  scatterAdd: ({ inputs: [indices], attrs }, [dy]) => [null, gather(dy, indices, attrs.axis as number)],
};
