import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { ConfigError, cast, div, max, mean, ShapeError, sum, type Tensor, tidy, unsqueeze, where } from '@recur/tensor';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { globalPoolingOnnx } from '../onnx/core';

export interface GlobalPoolingOptions extends LayerArgs {
  /** Keep the time axis as length 1 (default false). */
  keepdims?: boolean;
  /** Only channels_last ([batch, steps, features]) is supported. */
  dataFormat?: 'channelsLast';
}

abstract class GlobalPooling1D extends Layer {
  /** Keep the pooled time axis as size 1 (default false). */
  readonly keepdims: boolean;

  constructor(owner: string, options: GlobalPoolingOptions) {
    checkOptions(options?.name ?? owner, options, [...LAYER_ARG_KEYS, 'keepdims', 'dataFormat']);
    super(options);
    if (options.dataFormat !== undefined && options.dataFormat !== 'channelsLast') {
      throw new ConfigError(`${this.name}: dataFormat '${options.dataFormat}' is not supported (only channelsLast)`);
    }
    this.keepdims = options.keepdims ?? false;
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const s = inputShape as SymbolicShape;
    if (s.length !== 3)
      throw new ShapeError(`${this.name}: input should be [batch, steps, features], got ${JSON.stringify(s)}`);
    return this.keepdims ? [s[0], 1, s[2]] : [s[0], s[2]];
  }

  /** Refuses an input that is not [batch, steps, features]. */
  protected check(x: Tensor): void {
    if (x.rank !== 3)
      throw new ShapeError(`${this.name}: input should be [batch, steps, features], got [${x.shape.join(', ')}]`);
  }

  override computeMask(): Mask {
    return null;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}

/** keras.layers.GlobalAveragePooling1D: the mean over time; masked steps are left out of the mean (Keras). */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  /** The class name configs and files use for it. */
  static readonly className = 'GlobalAveragePooling1D';
  override get layerType(): string {
    return 'GlobalAveragePooling1D';
  }

  constructor(options: GlobalPoolingOptions = {}) {
    super('GlobalAveragePooling1D', options);
    this.supportsMasking = true;
  }

  override forward(x: Tensor, args: CallArgs = {}): Tensor {
    this.check(x);
    const mask = Array.isArray(args.mask) ? args.mask[0] : args.mask;
    return tidy(() => {
      if (!mask) return mean(x, 1, { keepDims: this.keepdims });
      const m = unsqueeze(cast(mask, 'bool'), 2);
      const kept = where(m, x, 0);
      return div(sum(kept, 1, { keepDims: this.keepdims }), sum(cast(m, x.dtype), 1, { keepDims: this.keepdims }));
    });
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): GlobalAveragePooling1D {
    return new GlobalAveragePooling1D(config as GlobalPoolingOptions);
  }

  /** Its ONNX form: a (masked) mean over time. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [globalPoolingOnnx(ctx, 'average', this.keepdims, x)];
  }
}

/** keras.layers.GlobalMaxPooling1D: the maximum over time (Keras 3 ignores masks here, and so does recur). */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  /** The class name configs and files use for it. */
  static readonly className = 'GlobalMaxPooling1D';
  override get layerType(): string {
    return 'GlobalMaxPooling1D';
  }

  constructor(options: GlobalPoolingOptions = {}) {
    super('GlobalMaxPooling1D', options);
  }

  override forward(x: Tensor): Tensor {
    this.check(x);
    return max(x, 1, { keepDims: this.keepdims });
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): GlobalMaxPooling1D {
    return new GlobalMaxPooling1D(config as GlobalPoolingOptions);
  }

  /** Its ONNX form: a ReduceMax over time. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [globalPoolingOnnx(ctx, 'max', this.keepdims, x)];
  }
}
