import { FormatError, formatShape, ShapeError, UnsupportedError } from '@recur/tensor';
import type { OpImpl } from './op';
import { input, int, num, str } from './op';
import { add, matMul, mul, reshape, sum, type Tensor, transpose } from './tensor-ops';

/**
 * Einsum for the two-operand matrix forms exporters write ("bij,bjk->bik", "ij,jk->ik",
 * "i,i->", "bij,bkj->bik", ...): contracted letters shared by both operands, batch letters kept.
 * Anything else (a repeated letter in one operand, ellipses, three operands) is refused by name.
 */
const einsum: OpImpl = (c) => {
  const equation = str(c, 'equation', '').replace(/\s+/g, '');
  const [lhs, explicit] = equation.split('->');
  const operands = lhs?.split(',') ?? [];
  // Implicit output: the letters that appear once, in alphabetical order.
  const letters = operands.join('');
  const rhs =
    explicit ??
    [...new Set(letters)]
      .filter((ch) => letters.indexOf(ch) === letters.lastIndexOf(ch))
      .sort()
      .join('');
  const xs = c.inputs.filter((t): t is Tensor => !!t);
  const unsupported = () =>
    new UnsupportedError(`${c.node}: Einsum '${equation}' is not a one- or two-operand product recur runs`);
  if (operands.length !== xs.length || equation.includes('.')) throw unsupported();
  operands.forEach((o, i) => {
    if (o.length !== xs[i].rank)
      throw new ShapeError(`${c.node}: Einsum term '${o}' needs rank ${o.length}, got ${formatShape(xs[i].shape)}`);
    if (new Set(o).size !== o.length) throw unsupported();
  });
  if (xs.length === 1) {
    const [o] = operands;
    const drop = [...o].map((ch, i) => (rhs.includes(ch) ? -1 : i)).filter((i) => i >= 0);
    const kept = [...o].filter((ch) => rhs.includes(ch));
    const reduced = drop.length ? sum(xs[0], drop) : xs[0];
    return [
      transpose(
        reduced,
        [...rhs].map((ch) => kept.indexOf(ch)),
      ),
    ];
  }
  if (xs.length !== 2) throw unsupported();
  const [p, q] = operands;
  const [A, B] = xs;
  const dim = (ch: string) => (p.includes(ch) ? A.shape[p.indexOf(ch)] : B.shape[q.indexOf(ch)]);
  const batch = [...p].filter((ch) => q.includes(ch) && rhs.includes(ch));
  const contract = [...p].filter((ch) => q.includes(ch) && !rhs.includes(ch));
  const freeA = [...p].filter((ch) => !q.includes(ch));
  const freeB = [...q].filter((ch) => !p.includes(ch));
  if ([...freeA, ...freeB].some((ch) => !rhs.includes(ch)) || rhs.length !== batch.length + freeA.length + freeB.length)
    throw unsupported();
  for (const ch of [...batch, ...contract])
    if (A.shape[p.indexOf(ch)] !== B.shape[q.indexOf(ch)])
      throw new FormatError(
        `${c.node}: Einsum letter '${ch}' has sizes ${A.shape[p.indexOf(ch)]} and ${B.shape[q.indexOf(ch)]}`,
      );
  const size = (chs: string[]) => chs.reduce((n, ch) => n * dim(ch), 1);
  // A → [batch, freeA, contract], B → [batch, contract, freeB], one batched matMul.
  const a3 = reshape(
    transpose(
      A,
      [...batch, ...freeA, ...contract].map((ch) => p.indexOf(ch)),
    ),
    [size(batch), size(freeA), size(contract)],
  );
  const b3 = reshape(
    transpose(
      B,
      [...batch, ...contract, ...freeB].map((ch) => q.indexOf(ch)),
    ),
    [size(batch), size(contract), size(freeB)],
  );
  const order = [...batch, ...freeA, ...freeB];
  const y = reshape(matMul(a3, b3), order.map(dim));
  return [
    transpose(
      y,
      [...rhs].map((ch) => order.indexOf(ch)),
    ),
  ];
};

/** Products of tensors: MatMul, Gemm, and Einsum's matrix forms. */
export const matMulOps: Record<string, OpImpl> = {
  Gemm: (c) => {
    const a = input(c, 0, 'A');
    const b = input(c, 1, 'B');
    if (a.rank !== 2 || b.rank !== 2)
      throw new ShapeError(
        `${c.node}: A and B should be matrices, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
      );
    const alpha = num(c, 'alpha', 1);
    const beta = num(c, 'beta', 1);
    let y = matMul(a, b, { transposeA: int(c, 'transA', 0) === 1, transposeB: int(c, 'transB', 0) === 1 });
    if (alpha !== 1) y = mul(y, alpha);
    const bias = c.inputs[2];
    if (bias) y = add(y, beta !== 1 ? mul(bias, beta) : bias);
    return [y];
  },
  MatMul: (c) => [matMul(input(c, 0, 'A'), input(c, 1, 'B'))],
  Einsum: einsum,
};
