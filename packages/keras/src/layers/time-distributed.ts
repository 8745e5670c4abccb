import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { ConfigError, reshape, ShapeError, type Tensor, tidy } from '@recur/tensor';
import { type ConfigContext, type LayerSpec, specOf } from '../engine/config';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { timeDistributedOnnx } from '../onnx/core';

/**
 * keras.layers.TimeDistributed: applies a layer to every time step of [B, T, ...] (as one call on
 * [B·T, ...]), sharing its weights across steps; the mask passes through.
 *
 * @example
 * ```ts
 * import { Dense, TimeDistributed } from '@recur/keras';
 * import { randomNormal } from '@recur/tensor';
 * const tagger = new TimeDistributed(new Dense({ units: 5, activation: 'softmax' }));
 * console.log(tagger.apply(randomNormal([2, 7, 16])).shape); // [2, 7, 5]
 * ```
 */
export class TimeDistributed extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'TimeDistributed';
  override get layerType(): string {
    return 'TimeDistributed';
  }

  /** The layer applied to every time step. */
  readonly layer: Layer;

  constructor(layer: Layer, options: LayerArgs = {}) {
    checkOptions(options?.name ?? 'TimeDistributed', options, LAYER_ARG_KEYS);
    super(options);
    if (!(layer instanceof Layer)) throw new ConfigError(`${this.name}: wraps a Keras layer, got ${String(layer)}`);
    this.layer = this.registerModule('layer', layer);
    this.supportsMasking = true;
  }

  private innerShape(shape: SymbolicShape): SymbolicShape {
    if (shape.length < 3) {
      throw new ShapeError(
        `${this.name}: input should have at least 3 axes [batch, time, ...], got ${JSON.stringify(shape)}`,
      );
    }
    return [null, ...shape.slice(2)];
  }

  override build(inputShape: ShapeArg): void {
    const inner = this.innerShape(inputShape as SymbolicShape);
    if (!this.layer.built) this.layer.build(inner);
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const shape = inputShape as SymbolicShape;
    const out = this.layer.computeOutputShape(this.innerShape(shape)) as SymbolicShape;
    return [shape[0], shape[1], ...out.slice(1)];
  }

  override forward(x: Tensor, args: CallArgs = {}): Tensor {
    if (x.rank < 3) {
      throw new ShapeError(
        `${this.name}: input should have at least 3 axes [batch, time, ...], got [${x.shape.join(', ')}]`,
      );
    }
    const [B, T, ...rest] = x.shape;
    if (!this.built) this.build(x.shape as number[]);
    return tidy(() => {
      const y = this.layer.forward(reshape(x, [B * T, ...rest]), { training: args.training }) as Tensor;
      return reshape(y, [B, T, ...y.shape.slice(1)]);
    });
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask {
    return Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: specOf(this.layer) };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, context: ConfigContext): TimeDistributed {
    const { layer, ...rest } = config;
    if (!layer || typeof layer !== 'object') {
      throw new ConfigError(
        `TimeDistributed config: 'layer' should be { className, config }, got ${JSON.stringify(layer)}`,
      );
    }
    return new TimeDistributed(context.deserialize(layer as LayerSpec), rest as LayerArgs);
  }

  /** Its ONNX form: the wrapped layer's, on every step. */
  onnxNodes(ctx: ExportContext, [x]: Value[], stateCount: number): Value[] {
    return [timeDistributedOnnx(ctx, this, this.layer, x, stateCount)];
  }
}
