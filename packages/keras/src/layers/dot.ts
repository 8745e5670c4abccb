import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  ConfigError,
  div,
  matMul,
  maximum,
  mul,
  reshape,
  ShapeError,
  sqrt,
  squeeze,
  sum,
  type Tensor,
  tidy,
  transpose,
  unsqueeze,
} from '@recur/tensor';
import { LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { dotOnnx } from '../onnx/core';

/** Dot's options (Keras' and tfjs' arguments). */
export interface DotOptions extends LayerArgs {
  /** The axis (or one axis per input) summed over; counts the batch axis, negatives from the end. */
  axes: number | [number, number];
  /** L2-normalise both inputs along their axes first: the result is the cosine similarity. */
  normalize?: boolean;
}

/**
 * keras.layers.Dot: the dot product of two inputs along an axis of each, per sample (Keras'
 * batch_dot). [B, n]·[B, n] over axis 1 gives [B, 1]; [B, T, d]·[B, S, d] over axes [2, 2] gives
 * the [B, T, S] scores of dot-product attention; [B, T, d]·[B, d] over [2, 1] gives [B, T].
 * Inputs of rank 2 or 3.
 *
 * @example
 * ```ts
 * import { Dot } from '@recur/keras';
 * import { tensor } from '@recur/tensor';
 * const dot = new Dot({ axes: 1 });
 * console.log(dot.apply([tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])]).arraySync()); // [[17], [53]]
 * ```
 */
export class Dot extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Dot';
  override get layerType(): string {
    return 'Dot';
  }

  /** The axes as given. */
  readonly axes: number | [number, number];
  /** Whether the inputs are L2-normalised first. */
  readonly normalize: boolean;

  constructor(options: DotOptions) {
    checkOptions(options?.name ?? 'Dot', options, [...LAYER_ARG_KEYS, 'axes', 'normalize']);
    super(options);
    const axes = options.axes;
    const ok = (a: unknown) => Number.isInteger(a);
    if (!(ok(axes) || (Array.isArray(axes) && axes.length === 2 && axes.every(ok)))) {
      throw new ConfigError(`${this.name}: axes should be an integer or two integers, got ${JSON.stringify(axes)}`);
    }
    this.axes = Array.isArray(axes) ? [axes[0], axes[1]] : axes;
    this.normalize = options.normalize ?? false;
    this.markBuilt();
  }

  /** The summed axis of each input, as non-negative axes, after checking ranks and sizes. */
  private resolve(shapes: SymbolicShape[]): [number, number] {
    if (shapes.length !== 2)
      throw new ConfigError(`${this.name} (Dot): takes a list of exactly 2 inputs, got ${shapes.length}`);
    const [a, b] = shapes;
    if (a.length < 2 || a.length > 3 || b.length < 2 || b.length > 3) {
      throw new ShapeError(
        `${this.name}: inputs of rank 2 or 3 are supported, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`,
      );
    }
    const given = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const axes = given.map((x, i) => (x < 0 ? x + shapes[i].length : x)) as [number, number];
    if (axes.some((x, i) => x < 1 || x >= shapes[i].length)) {
      throw new ShapeError(
        `${this.name}: axes ${JSON.stringify(this.axes)} must name a non-batch axis of ${JSON.stringify(a)} and ${JSON.stringify(b)}`,
      );
    }
    const [da, db] = [a[axes[0]], b[axes[1]]];
    if (da !== null && db !== null && da !== db) {
      throw new ShapeError(
        `${this.name}: the summed axes differ: ${JSON.stringify(a)} axis ${axes[0]} is ${da}, ${JSON.stringify(b)} axis ${axes[1]} is ${db}`,
      );
    }
    return axes;
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    const shapes = inputShape as SymbolicShape[];
    const [ax, bx] = this.resolve(shapes);
    const [a, b] = shapes;
    const out = [a[0], ...a.filter((_, i) => i > 0 && i !== ax), ...b.filter((_, i) => i > 0 && i !== bx)];
    return out.length === 1 ? [a[0], 1] : out;
  }

  override forward(inputs: Tensor[]): Tensor {
    if (!Array.isArray(inputs)) throw new ConfigError(`${this.name} (Dot): takes a list of 2 inputs`);
    const [ax, bx] = this.resolve(inputs.map((t) => [...t.shape]));
    return tidy(() => {
      let [a, b] = inputs;
      if (this.normalize) [a, b] = [l2Normalize(a, ax), l2Normalize(b, bx)];
      // [B, M, K] · [B, K, N] with K the summed axis; a rank-2 input is [B, 1, K] or [B, K, 1].
      const left = a.rank === 2 ? unsqueeze(a, 1) : ax === 2 ? a : transpose(a, [0, 2, 1]);
      const right = b.rank === 2 ? unsqueeze(b, 2) : bx === 1 ? b : transpose(b, [0, 2, 1]);
      let out = matMul(left, right);
      if (b.rank === 2) out = squeeze(out, [2]);
      if (a.rank === 2) out = squeeze(out, [1]);
      return out.rank === 1 ? reshape(out, [out.shape[0], 1]) : out;
    });
  }

  override computeMask(): Mask {
    return null;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Dot {
    return new Dot(config as unknown as DotOptions);
  }

  /** Its ONNX form: Transpose / Unsqueeze around one batched MatMul (normalised first when asked). */
  onnxNodes(ctx: ExportContext, inputs: Value[]): Value[] {
    const [ax, bx] = this.resolve(inputs.map((v) => Array.from({ length: v.rank }, () => null)));
    return [dotOnnx(ctx, inputs, ax, bx, this.normalize)];
  }
}

/** x / max(‖x‖₂ along axis, 1e-12), as Keras' l2_normalize. */
function l2Normalize(x: Tensor, axis: number): Tensor {
  return div(x, maximum(sqrt(sum(mul(x, x), axis, { keepDims: true })), 1e-12));
}
