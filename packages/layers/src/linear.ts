import { add, type DType, formatShape, matMul, type Rng, ShapeError, type Tensor, tidy } from '@recur/tensor';
import { torchUniform } from './initializers';
import { Module, type Parameter } from './module';

/**
 * A fully connected layer, y = act(x·Wᵀ + b), on the last axis. The PyTorch door is `Linear`
 * (weight [out, in], `weight` / `bias` names); the Keras door is `Dense` (kernel [in, units],
 * built on first call). One implementation serves both: Dense stores its kernel in Keras layout
 * and multiplies without a transpose.
 *
 * @example
 * ```ts
 * import { Linear } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * const head = new Linear(16, 5); // nn.Linear(16, 5): weight [5, 16], bias [5]
 * console.log(head.forward(randomNormal([2, 7, 16])).shape, Object.keys(head.stateDict())); // [2, 7, 5] ['weight', 'bias']
 * ```
 */
export class Linear extends Module {
  override get layerType(): string {
    return 'Linear';
  }

  constructor(
    /** The size of each input row. */
    readonly inFeatures: number,
    /** The size of each output row. */
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType; rng?: Rng; name?: string } = {},
  ) {
    super(options.name);
    const bound = 1 / Math.sqrt(inFeatures);
    const o = { dtype: options.dtype ?? 'float32', rng: options.rng };
    this.registerParameter('weight', torchUniform(bound)([outFeatures, inFeatures], o));
    if (options.bias ?? true) this.registerParameter('bias', torchUniform(bound)([outFeatures], o));
  }

  /** weight [out, in], as nn.Linear.weight. */
  get weight(): Parameter {
    return this.parameter('weight');
  }

  /** bias [out], or null when built with `bias: false` (nn.Linear.bias is None then). */
  get bias(): Parameter | null {
    return this.hasParameter('bias') ? this.parameter('bias') : null;
  }

  /** x·Wᵀ + b over the last axis: [..., inFeatures] → [..., outFeatures]. */
  forward(x: Tensor): Tensor {
    checkFeatures(this.name, x, this.inFeatures);
    return tidy(() => {
      const y = matMul(x, this.parameter('weight').value, { transposeB: true });
      return this.hasParameter('bias') ? add(y, this.parameter('bias').value) : y;
    });
  }

  /** The input's shape with its last axis outFeatures. */
  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape.slice(0, -1), this.outFeatures];
  }
}

/** An input whose last axis should hold `expected` features, or a ShapeError naming the layer and its shape. */
export function checkFeatures(name: string, x: Tensor, expected: number): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== expected) {
    throw new ShapeError(
      `${name}: expected input with ${expected} features on the last axis, got ${formatShape(x.shape)}`,
    );
  }
}
