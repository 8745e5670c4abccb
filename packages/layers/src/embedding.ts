import {
  ConfigError,
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
import { type InitializerSpec, initializer } from './initializers';
import { Layer, type LayerArgs, type Mask } from './keras/layer';
import { checkOptions, LAYER_ARG_KEYS } from './keras/options';
import type { ShapeArg, SymbolicShape } from './keras/symbolic';
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

export interface KerasEmbeddingOptions extends LayerArgs {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerSpec;
  /** Treat id 0 as padding: `computeMask` marks it, and recurrent layers skip masked steps. */
  maskZero?: boolean;
  /** Keras 2 / tfjs: the sequence length, making the input shape [null, inputLength]. */
  inputLength?: number | null;
  rng?: Rng;
}

const EMBEDDING_KEYS = [
  ...LAYER_ARG_KEYS,
  'inputDim',
  'outputDim',
  'embeddingsInitializer',
  'maskZero',
  'inputLength',
  'rng',
] as const;

/**
 * Keras' Embedding: `embeddings` [inputDim, outputDim] ~ U(-0.05, 0.05); `maskZero` marks id 0 as
 * padding. Token ids may be int32, or floats that are whole numbers (as Keras casts them).
 *
 * @example
 * ```ts
 * import { keras } from '@recur/layers';
 * import { tensor } from '@recur/tensor';
 * const emb = new keras.Embedding({ inputDim: 100, outputDim: 8, maskZero: true });
 * const ids = tensor([[5, 3, 0]], { dtype: 'int32' });
 * console.log(emb.apply(ids).shape, emb.computeMask(ids)?.dataSync()); // [1, 3, 8] Uint8Array(3) [1, 1, 0]
 * ```
 */
export class KerasEmbedding extends Layer {
  static readonly className = 'Embedding';
  override get layerType(): string {
    return 'Embedding';
  }

  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  private readonly options: KerasEmbeddingOptions;

  constructor(config: KerasEmbeddingOptions) {
    checkOptions(config?.name ?? 'Embedding', config, EMBEDDING_KEYS);
    const length = config.inputLength;
    super({
      ...config,
      batchInputShape:
        config.batchInputShape ??
        (!config.inputShape && length !== undefined ? [config.batchSize ?? null, length ?? null] : undefined),
    });
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(config[key]) || config[key] <= 0) {
        throw new ConfigError(`${this.name}: ${key} must be a positive integer, got ${JSON.stringify(config[key])}`);
      }
    }
    this.options = { ...config };
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    this.maskZero = config.maskZero ?? false;
    this.supportsMasking = this.maskZero;
    this.addWeight('embeddings', [config.inputDim, config.outputDim], config.embeddingsInitializer ?? 'uniform', {
      rng: config.rng,
    });
    this.markBuilt();
  }

  override forward(ids: Tensor): Tensor {
    return tidy(() => embeddingLookup(this.name, this.parameter('embeddings').value, wholeIds(this.name, ids), null));
  }

  /** The mask Keras propagates with maskZero: true where the id is not 0 (bool, same shape as ids). */
  override computeMask(ids: Tensor | Tensor[]): Mask {
    return this.maskZero ? notEqual(ids as Tensor, 0) : null;
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    return [...(inputShape as SymbolicShape), this.outputDim];
  }

  override outputDType(): DType {
    return this.dtype;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: this.options.embeddingsInitializer ?? 'uniform',
      maskZero: this.maskZero,
    };
    if (this.options.inputLength !== undefined) config.inputLength = this.options.inputLength;
    return config;
  }

  static fromConfig(config: Record<string, unknown>): KerasEmbedding {
    return new KerasEmbedding(config as unknown as KerasEmbeddingOptions);
  }
}

/** Float token ids that are whole numbers become int32 (Keras casts); any other float is an error naming it. */
function wholeIds(layer: string, ids: Tensor): Tensor {
  if (ids.dtype !== 'float32' && ids.dtype !== 'float64') return ids;
  const v = ids.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i])) {
      throw new DTypeError(
        `${layer}: token ids must be whole numbers; got ${v[i]} at flat position ${i} of ${ids.dtype} ${formatShape(ids.shape)}`,
      );
    }
  }
  return cast(ids, 'int32');
}
