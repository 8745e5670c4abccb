import { checkElements, formatShape, promoteDTypes, ShapeError, tryBroadcastShapes } from '@recur/backend-api';
import { expectTensor, runKernel, tidy } from '../engine';
import type { Tensor } from '../tensor';
import { cast } from './convert';
import { reshape } from './shape-ops';

/** Whether each operand's last two axes are read transposed. */
export interface MatMulOptions {
  /** Read a as [..., K, M]. */
  transposeA?: boolean;
  /** Read b as [..., N, K]. */
  transposeB?: boolean;
}

/**
 * Matrix product with batch broadcasting, as torch.matmul: rank-1 operands are treated as a row
 * (a) or column (b) vector and that axis is dropped from the result.
 *
 * @example
 * ```ts
 * import { matMul, tensor } from '@recur/tensor';
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor([[5, 6], [7, 8]]);
 * console.log(Array.from(matMul(a, b).dataSync())); // [19, 22, 43, 50]
 * console.log(matMul(a, b, { transposeB: true }).shape); // [2, 2]
 * ```
 */
export function matMul(a: Tensor, b: Tensor, options: MatMulOptions = {}): Tensor {
  expectTensor('matMul', 'input 0', a);
  expectTensor('matMul', 'input 1', b);
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matMul: operands must have rank ≥ 1, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  return tidy(() => {
    const dtype = promoteDTypes(a.dtype, b.dtype) === 'bool' ? 'int32' : promoteDTypes(a.dtype, b.dtype);
    let x = a.dtype === dtype ? a : cast(a, dtype);
    let y = b.dtype === dtype ? b : cast(b, dtype);
    const vecA = x.rank === 1;
    const vecB = y.rank === 1;
    if (vecA) x = reshape(x, [1, x.shape[0]]);
    if (vecB) y = reshape(y, [y.shape[0], 1]);
    const ka = ta && !vecA ? x.shape[x.rank - 2] : x.shape[x.rank - 1];
    const kb = tb && !vecB ? y.shape[y.rank - 1] : y.shape[y.rank - 2];
    const batch = tryBroadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    if (ka !== kb || !batch) {
      throw new ShapeError(
        `matMul: shapes ${formatShape(a.shape)}${ta ? 'ᵀ' : ''} and ${formatShape(b.shape)}${tb ? 'ᵀ' : ''} do not match (inner sizes ${ka} and ${kb})`,
      );
    }
    const m = ta && !vecA ? x.shape[x.rank - 1] : x.shape[x.rank - 2];
    const n = tb && !vecB ? y.shape[y.rank - 2] : y.shape[y.rank - 1];
    checkElements('matMul', [...batch, m, n]);
    const fa = ta && !vecA;
    const fb = tb && !vecB;
    let out = runKernel('matMul', [x, y], { transposeA: fa, transposeB: fb }, (backend, p, q) =>
      backend.matMul(p, q, fa, fb),
    );
    if (vecA || vecB) {
      const shape = out.shape.slice(0, -2);
      if (!vecA) shape.push(out.shape[out.rank - 2]);
      if (!vecB) shape.push(out.shape[out.rank - 1]);
      out = reshape(out, shape);
    }
    return out;
  });
}
