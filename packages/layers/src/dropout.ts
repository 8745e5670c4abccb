import { ConfigError, cast, div, greaterEqual, mul, type Rng, randomUniform, type Tensor, tidy } from '@recur/tensor';
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
    /** The probability of zeroing an element. */
    readonly rate: number,
    private readonly options: { rng?: Rng; name?: string } = {},
  ) {
    super(options.name);
    if (!(rate >= 0 && rate < 1)) throw new ConfigError(`${this.name}: rate must be in [0, 1), got ${rate}`);
  }

  /** x with dropout applied while training; x itself (a copy) in eval mode. */
  forward(x: Tensor): Tensor {
    return this.training ? dropout(x, this.rate, { rng: this.options.rng }) : mul(x, 1);
  }

  /** The input's shape: dropout keeps it. */
  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return inputShape;
  }
}
