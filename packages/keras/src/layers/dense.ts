import {
  type ActivationSpec,
  activation,
  canonicalActivation,
  checkFeatures,
  checkOptions,
  type InitializerSpec,
} from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { add, ConfigError, cast, matMul, type Rng, ShapeError, Tensor, tidy } from '@recur/tensor';
import { type ArrayInput, LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { denseOnnx } from '../onnx/core';

export interface DenseOptions extends LayerArgs {
  /** The output size (number of units). */
  units: number;
  /** The activation, by name ('relu', 'softmax', ...) or a function (default linear). */
  activation?: ActivationSpec;
  /** Whether the layer has a bias (default true). */
  useBias?: boolean;
  /** How the kernel starts (default glorotUniform). */
  kernelInitializer?: InitializerSpec;
  /** How the bias starts (default zeros). */
  biasInitializer?: InitializerSpec;
  /** Known input size (tfjs' inputDim): builds the weights now instead of on the first call. */
  inputDim?: number;
  /** The generator initializers (and dropout) draw from (default: the global one). */
  rng?: Rng;
}

const DENSE_KEYS = [
  ...LAYER_ARG_KEYS,
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  'inputDim',
  'rng',
] as const;

/**
 * Keras' Dense: kernel [in, units] (glorotUniform), bias [units] (zeros), optional activation, on
 * the last axis of any input; passes a mask on (Keras 3).
 *
 * @example
 * ```ts
 * import { Dense } from '@recur/keras';
 * const dense = new Dense({ units: 2, activation: 'softmax' });
 * const p = dense.apply([[1, 2, 3]]);
 * console.log(p.shape, dense.getWeights().map((w) => w.shape)); // [1, 2] [[3, 2], [2]]
 * ```
 */
export class Dense extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Dense';
  override get layerType(): string {
    return 'Dense';
  }

  /** The output size (number of units). */
  readonly units: number;
  private readonly act: (x: Tensor) => Tensor;

  constructor(private readonly config: DenseOptions) {
    checkOptions(config?.name ?? 'Dense', config, DENSE_KEYS);
    super({
      ...config,
      batchInputShape:
        config.batchInputShape ??
        (config.inputDim !== undefined && !config.inputShape ? [null, config.inputDim] : undefined),
    });
    if (!Number.isInteger(config.units) || config.units <= 0) {
      throw new ConfigError(`${this.name}: units must be a positive integer, got ${JSON.stringify(config.units)}`);
    }
    this.units = config.units;
    this.act = activation(config.activation);
    this.supportsMasking = true;
    if (config.inputDim !== undefined) this.build([null, config.inputDim]);
  }

  /** The activation's name ('linear', 'softmax', ...), or the function given. */
  get activation(): ReturnType<typeof canonicalActivation> {
    return canonicalActivation(this.config.activation);
  }

  /** Creates the weights for an input whose last axis is known. */
  override build(inputShape: ShapeArg): void {
    if (this.built) return;
    const shape = inputShape as SymbolicShape;
    const inputDim = shape[shape.length - 1];
    if (inputDim === null || inputDim === undefined || Array.isArray(inputDim)) {
      throw new ShapeError(`${this.name}: the last input axis must be known to build, got ${JSON.stringify(shape)}`);
    }
    const o = { dtype: this.dtype, rng: this.config.rng };
    this.addWeight('kernel', [inputDim, this.units], this.config.kernelInitializer ?? 'glorotUniform', o);
    if (this.config.useBias ?? true) this.addWeight('bias', [this.units], this.config.biasInitializer ?? 'zeros', o);
    this.markBuilt();
  }

  protected override checkInputShape(inputShape: ShapeArg): void {
    const shape = inputShape as SymbolicShape;
    const want = this.parameter('kernel').shape[0];
    const got = shape[shape.length - 1];
    if (got !== null && got !== want) {
      throw new ShapeError(
        `${this.name}: expected input with ${want} features on the last axis, got ${JSON.stringify(shape)}`,
      );
    }
  }

  override forward(x: Tensor): Tensor {
    this.build(x.shape as number[]);
    checkFeatures(this.name, x, this.parameter('kernel').shape[0]);
    return tidy(() => {
      const input = x.dtype === this.parameter('kernel').dtype ? x : cast(x, this.parameter('kernel').dtype);
      const y = matMul(input, this.parameter('kernel').value);
      return this.act(this.hasParameter('bias') ? add(y, this.parameter('bias').value) : y);
    });
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const shape = inputShape as SymbolicShape;
    this.build(shape);
    return [...shape.slice(0, -1), this.units];
  }

  protected override buildFromWeights(values: ArrayInput[]): void {
    const k = values[0];
    const rows = k instanceof Tensor ? k.shape[0] : Array.isArray(k) ? k.length : 0;
    if (!rows) super.buildFromWeights(values);
    this.build([null, rows]);
  }

  override getConfig(): Record<string, unknown> {
    const c = this.config;
    return {
      ...super.getConfig(),
      units: this.units,
      activation: canonicalActivation(c.activation),
      useBias: c.useBias ?? true,
      kernelInitializer: c.kernelInitializer ?? 'glorotUniform',
      biasInitializer: c.biasInitializer ?? 'zeros',
    };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Dense {
    return new Dense(config as unknown as DenseOptions);
  }

  /** Its ONNX form: MatMul, Add, the activation. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [denseOnnx(ctx, this, x)];
  }
}
