import { checkOptions, type InitializerSpec } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  add,
  ConfigError,
  cast,
  div,
  mean,
  mul,
  reshape,
  ShapeError,
  sqrt,
  sub,
  type Tensor,
  tidy,
} from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { layerNormalizationOnnx } from '../onnx/core';

export interface LayerNormalizationOptions extends LayerArgs {
  /** The axis (or axes) normalised over; default -1. */
  axis?: number | number[];
  /** Added to the variance (default 1e-3, as Keras). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  /** How β (the offset) starts (default zeros). */
  betaInitializer?: InitializerSpec;
  /** How γ (the scale) starts (default ones). */
  gammaInitializer?: InitializerSpec;
}

const LN_KEYS = [
  ...LAYER_ARG_KEYS,
  'axis',
  'epsilon',
  'center',
  'scale',
  'betaInitializer',
  'gammaInitializer',
] as const;

/**
 * keras.layers.LayerNormalization: each sample normalised over `axis` to zero mean and unit
 * variance, then scaled by gamma and shifted by beta (weights in that order); passes the mask on.
 */
export class LayerNormalization extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'LayerNormalization';
  override get layerType(): string {
    return 'LayerNormalization';
  }

  /** Added to the variance before its square root (default 1e-3). */
  readonly epsilon: number;
  private readonly options: LayerNormalizationOptions;
  private axes: number[] = [];

  constructor(options: LayerNormalizationOptions = {}) {
    checkOptions(options?.name ?? 'LayerNormalization', options, LN_KEYS);
    super(options);
    this.options = { ...options };
    this.epsilon = options.epsilon ?? 1e-3;
    if (!(this.epsilon >= 0)) throw new ConfigError(`${this.name}: epsilon must be ≥ 0, got ${this.epsilon}`);
    this.supportsMasking = true;
  }

  override build(inputShape: ShapeArg): void {
    if (this.built) return;
    const shape = inputShape as SymbolicShape;
    const given = this.options.axis ?? -1;
    this.axes = (Array.isArray(given) ? given : [given]).map((a) => (a < 0 ? shape.length + a : a)).sort();
    if (this.axes.some((a) => a <= 0 || a >= shape.length || shape[a] === null)) {
      throw new ShapeError(
        `${this.name}: axis ${JSON.stringify(given)} must be known non-batch axes of ${JSON.stringify(shape)}`,
      );
    }
    const paramShape = this.axes.map((a) => shape[a] as number);
    if (this.options.scale ?? true) this.addWeight('gamma', paramShape, this.options.gammaInitializer ?? 'ones');
    if (this.options.center ?? true) this.addWeight('beta', paramShape, this.options.betaInitializer ?? 'zeros');
    this.markBuilt();
  }

  override forward(x: Tensor): Tensor {
    if (!this.built) this.build(x.shape as number[]);
    return tidy(() => {
      const input = x.dtype === 'float32' || x.dtype === 'float64' ? x : cast(x, 'float32');
      const mu = mean(input, this.axes, { keepDims: true });
      const centered = sub(input, mu);
      const variance = mean(mul(centered, centered), this.axes, { keepDims: true });
      let y = div(centered, sqrt(add(variance, this.epsilon)));
      // gamma / beta [..axes] broadcast over the other axes.
      const bshape = x.shape.map((d, i) => (this.axes.includes(i) ? d : 1));
      if (this.hasParameter('gamma')) y = mul(y, reshape(this.weight('gamma'), bshape));
      if (this.hasParameter('beta')) y = add(y, reshape(this.weight('beta'), bshape));
      return y;
    });
  }

  override getConfig(): Record<string, unknown> {
    const o = this.options;
    return {
      ...super.getConfig(),
      axis: o.axis ?? -1,
      epsilon: this.epsilon,
      center: o.center ?? true,
      scale: o.scale ?? true,
      betaInitializer: o.betaInitializer ?? 'zeros',
      gammaInitializer: o.gammaInitializer ?? 'ones',
    };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): LayerNormalization {
    return new LayerNormalization(config as LayerNormalizationOptions);
  }

  /** Its ONNX form: mean, variance, scale and shift over its axes. */
  onnxNodes(ctx: ExportContext, [x]: Value[]): Value[] {
    return [layerNormalizationOnnx(ctx, this, x)];
  }
}
