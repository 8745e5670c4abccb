import { matMul, type Tensor } from '@recur/tensor';
import { unbroadcast } from './helpers';
import type { GradRule } from './rule';

/**
 * C = op(A)·op(B). Each of the four transpose combinations has its own pair of products, all
 * expressed with transpose flags so no transposed copy is made.
 */
export const matMulRules: Record<string, GradRule> = {
  matMul: ({ inputs: [a, b], attrs }, [dc]) => {
    const ta = attrs.transposeA as boolean;
    const tb = attrs.transposeB as boolean;
    let da: Tensor;
    let db: Tensor;
    if (!ta && !tb) {
      da = matMul(dc, b, { transposeB: true });
      db = matMul(a, dc, { transposeA: true });
    } else if (!ta && tb) {
      da = matMul(dc, b);
      db = matMul(dc, a, { transposeA: true });
    } else if (ta && !tb) {
      da = matMul(b, dc, { transposeB: true });
      db = matMul(a, dc);
    } else {
      da = matMul(b, dc, { transposeA: true, transposeB: true });
      db = matMul(dc, a, { transposeA: true, transposeB: true });
    }
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)];
  },
};
