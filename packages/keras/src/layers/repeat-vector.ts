import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { broadcastTo, ConfigError, ShapeError, type Tensor, tidy, unsqueeze } from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { repeatVectorOnnx } from '../onnx/core';

export interface RepeatVectorOptions extends LayerArgs {
  /** How many times to repeat. */
  n: number;
}

/**
 * keras.layers.RepeatVector: [B, F] → [B, n, F], the input repeated n times (an encoder's summary
 * fed to every decoder step).
 */
export class RepeatVector extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'RepeatVector';
  override get layerType(): string {
    return 'RepeatVector';
  }

  /** How many times the input is repeated. */
  readonly n: number;

  constructor(options: RepeatVectorOptions) {
    checkOptions(options?.name ?? 'RepeatVector', options, [...LAYER_ARG_KEYS, 'n']);
    super(options);
    if (!Number.isInteger(options.n) || options.n <= 0) {
      throw new ConfigError(`${this.name}: n must be a positive integer, got ${JSON.stringify(options.n)}`);
    }
    this.n = options.n;
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const s = inputShape as SymbolicShape;
    if (s.length !== 2)
      throw new ShapeError(`${this.name}: input should be [batch, features], got ${JSON.stringify(s)}`);
    return [s[0], this.n, s[1]];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 2)
      throw new ShapeError(`${this.name}: input should be [batch, features], got [${x.shape.join(', ')}]`);
    return tidy(() => broadcastTo(unsqueeze(x, 1), [x.shape[0], this.n, x.shape[1]]));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): RepeatVector {
    return new RepeatVector(config as unknown as RepeatVectorOptions);
  }

  /** Its ONNX form: Unsqueeze and Tile. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [repeatVectorOnnx(ctx, this.n, x)];
  }
}
