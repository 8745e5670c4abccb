import { registerGradRule } from '@recur/autograd';
import {
  cast,
  type DType,
  formatShape,
  mul,
  notEqual,
  type Rng,
  reshape,
  runKernel,
  scatterAdd,
  type Tensor,
  tensor,
  tidy,
} from '@recur/tensor';
import { type InitializerSpec, initializer } from './initializers';
import { Module } from './module';

let ruleRegistered = false;

/** Gather's gradient, except that the padding row gets none (PyTorch's padding_idx). */
function ensureGradRule(): void {
  if (ruleRegistered) return;
  ruleRegistered = true;
  registerGradRule('embedding', ({ inputs: [weight, ids], attrs }, [dy]) => {
    const dW = scatterAdd(weight.shape, ids, dy, 0);
    const paddingIdx = attrs.paddingIdx as number | null;
    if (paddingIdx === null) return [dW, null];
    const keepRow = cast(
      reshape(notEqual(tensor(range(weight.shape[0]), { dtype: 'int32' }), paddingIdx), [-1, 1]),
      dW.dtype,
    );
    return [mul(dW, keepRow), null];
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Looks rows of `weight` up by integer ids, checking every id against the vocabulary size. */
export function embeddingLookup(layer: string, weight: Tensor, ids: Tensor, paddingIdx: number | null): Tensor {
  if (ids.dtype === 'float32' || ids.dtype === 'float64') {
    throw new Error(`${layer}: expected integer token ids (int32), got ${ids.dtype} ${formatShape(ids.shape)}`);
  }
  const V = weight.shape[0];
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= V) {
      throw new Error(
        `${layer}: token id ${values[i]} at flat position ${i} of ${formatShape(ids.shape)} is out of range for vocabulary size ${V}`,
      );
    }
  }
  ensureGradRule();
  return tidy(() => {
    const idx = ids.dtype === 'int32' ? ids : cast(ids, 'int32');
    return runKernel('embedding', [weight, idx], { paddingIdx }, (b, w, i) => b.gather(w, i, 0));
  });
}

/** nn.Embedding: weight [num, dim] ~ N(0, 1); the `paddingIdx` row starts at zero and gets no gradient. */
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
      throw new Error(`${this.name}: paddingIdx ${options.paddingIdx} is outside the ${numEmbeddings} embeddings`);
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

export interface KerasEmbeddingOptions {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerSpec;
  /** Treat id 0 as padding: `computeMask` marks it, and recurrent layers skip masked steps. */
  maskZero?: boolean;
  dtype?: DType;
  rng?: Rng;
  name?: string;
}

/** Keras' Embedding: `embeddings` [inputDim, outputDim] ~ U(-0.05, 0.05); `maskZero` marks id 0 as padding. */
export class KerasEmbedding extends Module {
  override get layerType(): string {
    return 'Embedding';
  }

  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;

  constructor(config: KerasEmbeddingOptions) {
    super(config.name ?? undefined);
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    this.maskZero = config.maskZero ?? false;
    const init = initializer(config.embeddingsInitializer ?? { name: 'uniform' });
    this.registerParameter(
      'embeddings',
      init([config.inputDim, config.outputDim], { dtype: config.dtype ?? 'float32', rng: config.rng }),
    );
  }

  forward(ids: Tensor): Tensor {
    return embeddingLookup(this.name, this.parameter('embeddings').value, ids, null);
  }

  /** The mask Keras propagates with maskZero: true where the id is not 0 (bool, same shape as ids). */
  computeMask(ids: Tensor): Tensor | null {
    return this.maskZero ? notEqual(ids, 0) : null;
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape, this.outputDim];
  }
}
