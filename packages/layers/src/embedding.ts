import {
  cast,
  type DType,
  mul,
  notEqual,
  type Rng,
  reshape,
  type Tensor,
  tensor,
  tidy,
  ValueError,
} from '@recur/tensor';
import { initializer } from './initializers';
import { Module } from './module';
import { embeddingLookup } from './ops/embedding';

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * nn.Embedding: weight [num, dim] ~ N(0, 1); the `paddingIdx` row starts at zero and gets no gradient.
 *
 * @example
 * ```ts
 * import { Embedding } from '@recur/layers';
 * import { tensor } from '@recur/tensor';
 * const emb = new Embedding(100, 8, { paddingIdx: 0 }); // nn.Embedding(100, 8, padding_idx=0)
 * const vectors = emb.forward(tensor([[5, 3, 0]], { dtype: 'int32' }));
 * console.log(vectors.shape, vectors.dataSync().slice(16).every((v) => v === 0)); // [1, 3, 8] true
 * ```
 */
export class Embedding extends Module {
  override get layerType(): string {
    return 'Embedding';
  }

  /** The row that reads as zeros and gets no gradient (PyTorch's padding_idx), or null. */
  readonly paddingIdx: number | null;

  constructor(
    /** The number of rows (vocabulary size). */
    readonly numEmbeddings: number,
    /** The size of each row. */
    readonly embeddingDim: number,
    options: { paddingIdx?: number; dtype?: DType; rng?: Rng; name?: string } = {},
  ) {
    super(options.name);
    let p = options.paddingIdx ?? null;
    if (p !== null && p < 0) p += numEmbeddings;
    if (p !== null && (p < 0 || p >= numEmbeddings)) {
      throw new ValueError(`${this.name}: paddingIdx ${options.paddingIdx} is outside the ${numEmbeddings} embeddings`);
    }
    this.paddingIdx = p;
    const values = initializer({ name: 'normal', mean: 0, stddev: 1 })([numEmbeddings, embeddingDim], {
      dtype: options.dtype ?? 'float32',
      rng: options.rng,
    });
    const w =
      p === null
        ? values
        : tidy(() =>
            mul(
              values,
              cast(reshape(notEqual(tensor(range(numEmbeddings), { dtype: 'int32' }), p), [-1, 1]), values.dtype),
            ),
          );
    if (w !== values) values.dispose();
    this.registerParameter('weight', w);
  }

  /** The rows of the table for each id: int32 [...] → [..., embeddingDim]. */
  forward(ids: Tensor): Tensor {
    return embeddingLookup(this.name, this.parameter('weight').value, ids, this.paddingIdx);
  }

  /** The input's shape with embeddingDim appended. */
  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape, this.embeddingDim];
  }
}
