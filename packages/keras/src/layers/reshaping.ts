import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import { ConfigError, reshape, ShapeError, sizeOf, type Tensor, transpose } from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { flattenOnnx, permuteOnnx, reshapeOnnx } from '../onnx/core';

export interface ReshapeOptions extends LayerArgs {
  /** The shape without the batch axis; one entry may be -1 (inferred). */
  targetShape: number[];
}

/** The target shape with a -1 resolved against the input's known size (null when it cannot be). */
function resolveTarget(owner: string, input: SymbolicShape, target: number[]): SymbolicShape {
  const known = input.every((d) => d !== null);
  const free = target.indexOf(-1);
  if (free < 0) {
    if (known && sizeOf(input as number[]) !== sizeOf(target)) {
      throw new ShapeError(
        `${owner}: cannot reshape ${JSON.stringify(input)} (without batch) to ${JSON.stringify(target)}`,
      );
    }
    return [...target];
  }
  if (!known) return target.map((d) => (d === -1 ? null : d));
  const rest = sizeOf(target.filter((d) => d !== -1));
  const total = sizeOf(input as number[]);
  if (rest === 0 || total % rest !== 0) {
    throw new ShapeError(
      `${owner}: cannot reshape ${JSON.stringify(input)} (without batch) to ${JSON.stringify(target)}`,
    );
  }
  return target.map((d) => (d === -1 ? total / rest : d));
}

/** keras.layers.Reshape: [B, ...] → [B, ...targetShape]. */
export class Reshape extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Reshape';
  override get layerType(): string {
    return 'Reshape';
  }

  /** The output shape without the batch axis (one −1 allowed). */
  readonly targetShape: number[];

  constructor(options: ReshapeOptions) {
    checkOptions(options?.name ?? 'Reshape', options, [...LAYER_ARG_KEYS, 'targetShape']);
    super(options);
    const t = options.targetShape;
    if (
      !Array.isArray(t) ||
      !t.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) ||
      t.filter((d) => d === -1).length > 1
    ) {
      throw new ConfigError(
        `${this.name}: targetShape must be positive integers with at most one -1, got ${JSON.stringify(t)}`,
      );
    }
    this.targetShape = [...t];
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const s = inputShape as SymbolicShape;
    return [s[0], ...resolveTarget(this.name, s.slice(1), this.targetShape)];
  }

  override forward(x: Tensor): Tensor {
    const target = resolveTarget(this.name, x.shape.slice(1), this.targetShape) as number[];
    return reshape(x, [x.shape[0], ...target]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Reshape {
    return new Reshape(config as unknown as ReshapeOptions);
  }

  /** Its ONNX form: a Reshape keeping the batch axis. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [reshapeOnnx(ctx, this.targetShape, x)];
  }
}

export interface FlattenOptions extends LayerArgs {
  /** Only channels_last (the default) is supported. */
  dataFormat?: 'channelsLast';
}

/** keras.layers.Flatten: [B, ...] → [B, product of the rest]. */
export class Flatten extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Flatten';
  override get layerType(): string {
    return 'Flatten';
  }

  constructor(options: FlattenOptions = {}) {
    checkOptions(options?.name ?? 'Flatten', options, [...LAYER_ARG_KEYS, 'dataFormat']);
    super(options);
    if (options.dataFormat !== undefined && options.dataFormat !== 'channelsLast') {
      throw new ConfigError(`${this.name}: dataFormat '${options.dataFormat}' is not supported (only channelsLast)`);
    }
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const s = inputShape as SymbolicShape;
    const rest = s.slice(1);
    return [s[0], rest.length === 0 ? 1 : rest.some((d) => d === null) ? null : sizeOf(rest as number[])];
  }

  override forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], x.rank === 1 ? 1 : sizeOf(x.shape.slice(1))]);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Flatten {
    return new Flatten(config as FlattenOptions);
  }

  /** Its ONNX form: Flatten from axis 1. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [flattenOnnx(ctx, x)];
  }
}

export interface PermuteOptions extends LayerArgs {
  /** A permutation of 1..rank-1 (the batch axis stays first), e.g. [2, 1]. */
  dims: number[];
}

/** keras.layers.Permute: reorders the non-batch axes, e.g. dims [2, 1] swaps time and features. */
export class Permute extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Permute';
  override get layerType(): string {
    return 'Permute';
  }

  /** The order of the non-batch axes, 1-based as Keras writes it. */
  readonly dims: number[];

  constructor(options: PermuteOptions) {
    checkOptions(options?.name ?? 'Permute', options, [...LAYER_ARG_KEYS, 'dims']);
    super(options);
    const d = options.dims;
    const sorted = Array.isArray(d) ? [...d].sort((a, b) => a - b) : [];
    if (!Array.isArray(d) || !sorted.every((v, i) => v === i + 1)) {
      throw new ConfigError(
        `${this.name}: dims must be a permutation of 1..${Array.isArray(d) ? d.length : 'n'}, got ${JSON.stringify(d)}`,
      );
    }
    this.dims = [...d];
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const s = inputShape as SymbolicShape;
    if (s.length !== this.dims.length + 1) {
      throw new ShapeError(
        `${this.name}: dims ${JSON.stringify(this.dims)} need an input of rank ${this.dims.length + 1}, got ${JSON.stringify(s)}`,
      );
    }
    return [s[0], ...this.dims.map((d) => s[d])];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== this.dims.length + 1) {
      throw new ShapeError(
        `${this.name}: dims ${JSON.stringify(this.dims)} need an input of rank ${this.dims.length + 1}, got [${x.shape.join(', ')}]`,
      );
    }
    return transpose(x, [0, ...this.dims]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Permute {
    return new Permute(config as unknown as PermuteOptions);
  }

  /** Its ONNX form: a Transpose keeping the batch axis. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [permuteOnnx(ctx, this.dims, x)];
  }
}
