import { checkOptions, dropout } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { ConfigError, mul, Rng, type Tensor } from '@recur/tensor';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';

export interface DropoutOptions extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1). */
  rate: number;
  /** Keras' noise_shape: a mask shape broadcast over x (null takes x's size on that axis). */
  noiseShape?: (number | null)[] | null;
  /** Seeds the layer's own generator. */
  seed?: number | null;
  /** The generator initializers (and dropout) draw from (default: the global one). */
  rng?: Rng;
}

const DROPOUT_KEYS = [...LAYER_ARG_KEYS, 'rate', 'noiseShape', 'seed', 'rng'] as const;

/**
 * keras.layers.Dropout (`{ rate }`, or the rate alone): active in training only (`fit`), the
 * identity in `predict`; passes the mask on.
 *
 * @example
 * ```ts
 * import { Dropout } from '@recur/keras';
 * import { ones } from '@recur/tensor';
 * const drop = new Dropout({ rate: 0.5, seed: 1 });
 * // the identity outside training (fit and apply(x, { training: true }) switch it on)
 * console.log(Array.from(drop.apply(ones([4])).dataSync())); // [1, 1, 1, 1]
 * const trained = drop.apply(ones([1000]), { training: true }); // kept values are scaled by 1 / (1 - rate)
 * console.log(new Set(trained.dataSync()).size); // 2
 * ```
 */
export class Dropout extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Dropout';
  override get layerType(): string {
    return 'Dropout';
  }

  /** The fraction of inputs dropped, in [0, 1). */
  readonly rate: number;
  private readonly options: DropoutOptions;
  private readonly rng?: Rng;

  constructor(options: DropoutOptions | number) {
    const o = typeof options === 'number' ? { rate: options } : options;
    checkOptions(o?.name ?? 'Dropout', o, DROPOUT_KEYS);
    super(o);
    if (!(typeof o.rate === 'number' && o.rate >= 0 && o.rate < 1)) {
      throw new ConfigError(`${this.name}: rate must be a number in [0, 1), got ${JSON.stringify(o.rate)}`);
    }
    this.rate = o.rate;
    this.options = { ...o };
    this.rng = o.rng ?? (typeof o.seed === 'number' ? new Rng(o.seed) : undefined);
    this.supportsMasking = true;
  }

  override forward(x: Tensor, args: CallArgs = {}): Tensor {
    const training = args.training ?? this.training;
    if (!training || this.rate === 0) return mul(x, 1);
    const noise = this.options.noiseShape?.map((d, i) => d ?? x.shape[i]);
    return dropout(x, this.rate, { rng: this.rng, noiseShape: noise });
  }

  override getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...super.getConfig(), rate: this.rate };
    if (this.options.noiseShape) c.noiseShape = this.options.noiseShape;
    if (typeof this.options.seed === 'number') c.seed = this.options.seed;
    return c;
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Dropout {
    return new Dropout(config as unknown as DropoutOptions);
  }

  /** Inference has no dropout: its ONNX form is the identity. */
  onnxNodes(_ctx: ExportContext, [x]: Value[]): Value[] {
    return [x];
  }
}
