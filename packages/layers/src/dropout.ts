import { ConfigError, cast, div, greaterEqual, mul, Rng, randomUniform, type Tensor, tidy } from '@recur/tensor';
import { type CallArgs, Layer, type LayerArgs } from './keras/layer';
import { checkOptions, LAYER_ARG_KEYS } from './keras/options';
import { Module } from './module';

/**
 * Inverted dropout: zeroes each element with probability `rate` and scales the rest by
 * 1 / (1 - rate), so evaluation needs no rescaling. `noiseShape` (broadcastable to x) shares one
 * mask across axes of size 1, as Keras does for recurrent input dropout across time.
 */
export function dropout(x: Tensor, rate: number, options: { rng?: Rng; noiseShape?: readonly number[] } = {}): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new ConfigError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return mul(x, 1);
  return tidy(() => {
    const u = randomUniform(options.noiseShape ?? x.shape, 0, 1, { dtype: 'float32', seed: options.rng });
    const mask = cast(greaterEqual(u, rate), x.dtype);
    return mul(x, div(mask, 1 - rate));
  });
}

/**
 * nn.Dropout / keras Dropout: active only in training mode.
 *
 * @example
 * ```ts
 * import { Dropout } from '@recur/layers';
 * import { ones } from '@recur/tensor';
 * const drop = new Dropout(0.25);
 * console.log(drop.training, new Set(drop.forward(ones([1000])).dataSync())); // true Set(2) { 0, 1.3333333730697632 }
 * drop.eval();
 * console.log(Array.from(drop.forward(ones([3])).dataSync())); // [1, 1, 1]
 * ```
 */
export class Dropout extends Module {
  override get layerType(): string {
    return 'Dropout';
  }

  constructor(
    readonly rate: number,
    private readonly options: { rng?: Rng; name?: string } = {},
  ) {
    super(options.name);
    if (!(rate >= 0 && rate < 1)) throw new ConfigError(`${this.name}: rate must be in [0, 1), got ${rate}`);
  }

  forward(x: Tensor): Tensor {
    return this.training ? dropout(x, this.rate, { rng: this.options.rng }) : mul(x, 1);
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return inputShape;
  }
}

export interface KerasDropoutOptions extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1). */
  rate: number;
  /** Keras' noise_shape: a mask shape broadcast over x (null takes x's size on that axis). */
  noiseShape?: (number | null)[] | null;
  seed?: number | null;
  rng?: Rng;
}

const DROPOUT_KEYS = [...LAYER_ARG_KEYS, 'rate', 'noiseShape', 'seed', 'rng'] as const;

/**
 * keras.layers.Dropout (`{ rate }`, or the rate alone): active in training only (`fit`), the
 * identity in `predict`; passes the mask on.
 *
 * @example
 * ```ts
 * import { keras } from '@recur/layers';
 * import { ones } from '@recur/tensor';
 * const drop = new keras.Dropout({ rate: 0.5, seed: 1 });
 * // the identity outside training (fit and apply(x, { training: true }) switch it on)
 * console.log(Array.from(drop.apply(ones([4])).dataSync())); // [1, 1, 1, 1]
 * const trained = drop.apply(ones([1000]), { training: true }); // kept values are scaled by 1 / (1 - rate)
 * console.log(new Set(trained.dataSync()).size); // 2
 * ```
 */
export class KerasDropout extends Layer {
  static readonly className = 'Dropout';
  override get layerType(): string {
    return 'Dropout';
  }

  readonly rate: number;
  private readonly options: KerasDropoutOptions;
  private readonly rng?: Rng;

  constructor(options: KerasDropoutOptions | number) {
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

  static fromConfig(config: Record<string, unknown>): KerasDropout {
    return new KerasDropout(config as unknown as KerasDropoutOptions);
  }
}
