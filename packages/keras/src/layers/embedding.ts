import { checkOptions, embeddingLookup, type InitializerSpec } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  ConfigError,
  cast,
  type DType,
  DTypeError,
  formatShape,
  hostValues,
  notEqual,
  type Rng,
  type Tensor,
  tidy,
} from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { embeddingOnnx } from '../onnx/core';

export interface EmbeddingOptions extends LayerArgs {
  /** The vocabulary size: ids are in [0, inputDim). */
  inputDim: number;
  /** The size of each embedding vector. */
  outputDim: number;
  /** How the table starts (default randomUniform in [−0.05, 0.05]). */
  embeddingsInitializer?: InitializerSpec;
  /** Treat id 0 as padding: `computeMask` marks it, and recurrent layers skip masked steps. */
  maskZero?: boolean;
  /** Keras 2 / tfjs: the sequence length, making the input shape [null, inputLength]. */
  inputLength?: number | null;
  /** The generator initializers (and dropout) draw from (default: the global one). */
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
 * import { Embedding } from '@recur/keras';
 * import { tensor } from '@recur/tensor';
 * const emb = new Embedding({ inputDim: 100, outputDim: 8, maskZero: true });
 * const ids = tensor([[5, 3, 0]], { dtype: 'int32' });
 * console.log(emb.apply(ids).shape, emb.computeMask(ids)?.dataSync()); // [1, 3, 8] Uint8Array(3) [1, 1, 0]
 * ```
 */
export class Embedding extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Embedding';
  override get layerType(): string {
    return 'Embedding';
  }

  /** The vocabulary size: ids are in [0, inputDim). */
  readonly inputDim: number;
  /** The size of each embedding vector. */
  readonly outputDim: number;
  /** Id 0 is padding: the layer emits a mask the following layers honour. */
  readonly maskZero: boolean;
  private readonly options: EmbeddingOptions;

  constructor(config: EmbeddingOptions) {
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
  }

  /** Creates the table [inputDim, outputDim] (on the first call, as Keras and tfjs build it). */
  override build(_inputShape?: ShapeArg): void {
    if (this.built) return;
    this.addWeight('embeddings', [this.inputDim, this.outputDim], this.options.embeddingsInitializer ?? 'uniform', {
      rng: this.options.rng,
    });
    this.markBuilt();
  }

  /** setWeights on a layer not yet built builds it first (the table's shape is known from the options). */
  protected override buildFromWeights(): void {
    this.build();
  }

  override forward(ids: Tensor): Tensor {
    this.build();
    return tidy(() => embeddingLookup(this.name, this.parameter('embeddings').value, wholeIds(this.name, ids), null));
  }

  /** The mask Keras propagates with maskZero: true where the id is not 0 (bool, same shape as ids). */
  override computeMask(ids: Tensor | Tensor[]): Mask {
    return this.maskZero ? notEqual(ids as Tensor, 0) : null;
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    this.build();
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

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Embedding {
    return new Embedding(config as unknown as EmbeddingOptions);
  }

  /** Its ONNX form: a Gather (and the mask of id 0 with maskZero). */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [embeddingOnnx(ctx, this, x)];
  }
}

/**
 * Float token ids that are whole numbers become int32 (Keras casts); any other float is an error
 * naming it (checked where the backend reads synchronously).
 */
function wholeIds(layer: string, ids: Tensor): Tensor {
  if (ids.dtype !== 'float32' && ids.dtype !== 'float64') return ids;
  const v = hostValues(ids) ?? [];
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i])) {
      throw new DTypeError(
        `${layer}: token ids must be whole numbers; got ${v[i]} at flat position ${i} of ${ids.dtype} ${formatShape(ids.shape)}`,
      );
    }
  }
  return cast(ids, 'int32');
}
