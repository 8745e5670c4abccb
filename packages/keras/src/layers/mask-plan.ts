import { formatShape, ShapeError, type Tensor } from '@recur/tensor';

// How a masked batch runs on the fused recurrent kernel: the mask read to the host, and the index
// plans that move each row's real steps to the front and the outputs back.

/** The mask as rows of booleans, checked against the input's batch and time sizes. */
export function maskRows(layer: string, mask: Tensor, B: number, T: number): boolean[][] {
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new ShapeError(`${layer}: mask should be [${B}, ${T}], got ${formatShape(mask.shape)}`);
  }
  const m = mask.dataSync();
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => m[b * T + t] !== 0));
}

/**
 * Index plans for running a masked batch on the fused kernel: `compact` moves each row's real
 * steps to the front (keeping their order), `lengths` counts them, and `expand` maps every output
 * step (in Keras' order: processing order when going backwards) to the compacted output it shows,
 * the previous real one for a masked step, or the zero row B·T before any.
 */
export function maskPlan(
  mask: boolean[][],
  T: number,
  goBackwards: boolean,
  zeroOutput: boolean,
): {
  /** Row-major source index of each compacted step. */
  compact: number[];
  /** Source index (into the compacted outputs plus a zero row) of each output step. */
  expand: number[];
  /** Real steps per row. */
  lengths: number[];
} {
  const B = mask.length;
  const compact: number[] = [];
  const expand: number[] = [];
  const lengths: number[] = [];
  const zeroRow = B * T;
  mask.forEach((row, b) => {
    const real = row.flatMap((on, t) => (on ? [t] : []));
    lengths.push(real.length);
    for (let j = 0; j < T; j++) compact.push(b * T + (real[j] ?? real[0] ?? 0));
    const position = new Map(real.map((t, j) => [t, j]));
    let last = zeroRow;
    for (let s = 0; s < T; s++) {
      const t = goBackwards ? T - 1 - s : s;
      const j = position.get(t);
      if (j !== undefined) last = b * T + j;
      expand.push(j !== undefined ? b * T + j : zeroOutput ? zeroRow : last);
    }
  });
  return { compact, lengths, expand };
}
