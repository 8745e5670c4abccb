import {
  cast,
  type DType,
  DTypeError,
  formatShape,
  mul,
  notEqual,
  RecurError,
  type Rng,
  reshape,
  runKernel,
  type Tensor,
  tensor,
  tidy,
  ValueError,
} from '@recur/tensor';
import { initializer } from './initializers';
import { Module } from './module';

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Looks rows of `weight` up by integer ids, checking every id against the vocabulary size. */
export function embeddingLookup(layer: string, weight: Tensor, ids: Tensor, paddingIdx: number | null): Tensor {
  if (ids.dtype === 'float32' || ids.dtype === 'float64') {
    throw new DTypeError(`${layer}: expected integer token ids (int32), got ${ids.dtype} ${formatShape(ids.shape)}`);
  }
  const V = weight.shape[0];
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= V) {
      throw new RecurError(
        `${layer}: token id ${values[i]} at flat position ${i} of ${formatShape(ids.shape)} is out of range for vocabulary size ${V}`,
        'value',
      );
    }
  }
  // The gradient rule is autograd's rules/embedding.ts.
  return tidy(() => {
    const idx = ids.dtype === 'int32' ? ids : cast(ids, 'int32');
    return runKernel('embedding', [weight, idx], { paddingIdx }, (b, w, i) => b.gather(w, i, 0));
  });
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

  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
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

  forward(ids: Tensor): Tensor {
    return embeddingLookup(this.name, this.parameter('weight').value, ids, this.paddingIdx);
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape, this.embeddingDim];
  }
}
