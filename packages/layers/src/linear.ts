import { add, cast, type DType, formatShape, matMul, type Rng, type Tensor, tidy } from '@recur/tensor';
import { type ActivationSpec, activation } from './activations';
import { type InitializerSpec, initializer, torchUniform } from './initializers';
import { Module } from './module';

/**
 * A fully connected layer, y = act(x·Wᵀ + b), on the last axis. The PyTorch door is `Linear`
 * (weight [out, in], `weight` / `bias` names); the Keras door is `Dense` (kernel [in, units],
 * built on first call). One implementation serves both: Dense stores its kernel in Keras layout
 * and multiplies without a transpose.
 */
export class Linear extends Module {
  override get layerType(): string {
    return 'Linear';
  }

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: DType; rng?: Rng; name?: string } = {},
  ) {
    super(options.name);
    const bound = 1 / Math.sqrt(inFeatures);
    const o = { dtype: options.dtype ?? 'float32', rng: options.rng };
    this.registerParameter('weight', torchUniform(bound)([outFeatures, inFeatures], o));
    if (options.bias ?? true) this.registerParameter('bias', torchUniform(bound)([outFeatures], o));
  }

  forward(x: Tensor): Tensor {
    checkFeatures(this.name, x, this.inFeatures);
    return tidy(() => {
      const y = matMul(x, this.parameter('weight').value, { transposeB: true });
      return this.hasParameter('bias') ? add(y, this.parameter('bias').value) : y;
    });
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    return [...inputShape.slice(0, -1), this.outFeatures];
  }
}

function checkFeatures(name: string, x: Tensor, expected: number): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== expected) {
    throw new Error(`${name}: expected input with ${expected} features on the last axis, got ${formatShape(x.shape)}`);
  }
}

export interface DenseOptions {
  units: number;
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** Known input size: builds the weights now instead of on the first call. */
  inputDim?: number;
  dtype?: DType;
  rng?: Rng;
  name?: string;
}

/** Keras' Dense: kernel [in, units] (glorotUniform), bias [units] (zeros), optional activation. */
export class Dense extends Module {
  override get layerType(): string {
    return 'Dense';
  }

  readonly units: number;
  private readonly act: (x: Tensor) => Tensor;
  private built = false;

  constructor(private readonly config: DenseOptions) {
    super(config.name);
    if (!Number.isInteger(config.units) || config.units <= 0) {
      throw new Error(`${this.name}: units must be a positive integer, got ${config.units}`);
    }
    this.units = config.units;
    this.act = activation(config.activation);
    if (config.inputDim !== undefined) this.build([null, config.inputDim]);
  }

  /** Creates the weights for an input whose last axis is known. */
  build(inputShape: readonly (number | null)[]): void {
    if (this.built) return;
    const inputDim = inputShape[inputShape.length - 1];
    if (inputDim === null || inputDim === undefined)
      throw new Error(`${this.name}: the last input axis must be known to build`);
    const o = { dtype: this.config.dtype ?? 'float32', rng: this.config.rng };
    this.registerParameter(
      'kernel',
      initializer(this.config.kernelInitializer ?? 'glorotUniform')([inputDim, this.units], o),
    );
    if (this.config.useBias ?? true) {
      this.registerParameter('bias', initializer(this.config.biasInitializer ?? 'zeros')([this.units], o));
    }
    this.built = true;
  }

  forward(x: Tensor): Tensor {
    this.build(x.shape);
    checkFeatures(this.name, x, this.parameter('kernel').shape[0]);
    return tidy(() => {
      const y = matMul(x, this.parameter('kernel').value);
      return this.act(this.hasParameter('bias') ? add(y, this.parameter('bias').value) : y);
    });
  }

  computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
    this.build(inputShape);
    return [...inputShape.slice(0, -1), this.units];
  }

  /** Keras' get_weights(): [kernel [in, units], bias [units]]. */
  getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value);
  }

  setWeights(weights: Tensor[]): void {
    const params = this.parameters();
    if (weights.length !== params.length) {
      throw new Error(`${this.name}.setWeights: expected ${params.length} arrays, got ${weights.length}`);
    }
    params.forEach((p, i) => {
      if (weights[i].shape.join() !== p.shape.join()) {
        throw new Error(
          `${this.name}.setWeights: weight ${i} should be ${formatShape(p.shape)}, got ${formatShape(weights[i].shape)}`,
        );
      }
    });
    params.forEach((p, i) => p.assign(cast(weights[i], p.dtype)));
  }
}
