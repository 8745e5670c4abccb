import { checkOptions } from '@recur/layers';
import type { ExportContext, Value } from '@recur/onnx';
import {
  add,
  broadcastTo,
  ConfigError,
  cast,
  concat,
  div,
  maximum,
  minimum,
  mul,
  ones,
  ShapeError,
  sub,
  type Tensor,
  tidy,
  tryBroadcastShapes,
  unsqueeze,
} from '@recur/tensor';
import { type CallArgs, LAYER_ARG_KEYS, Layer, type LayerArgs, type Mask } from '../engine/layer';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { concatenateOnnx, mergeOnnx } from '../onnx/core';
import { anyAlong, orMasks } from './mask-ops';

/** The broadcast of symbolic shapes (null meets anything), or an error naming the layer and shapes. */
function broadcastSymbolic(owner: string, shapes: SymbolicShape[]): SymbolicShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: SymbolicShape = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    let unknown = false;
    for (const s of shapes) {
      const j = s.length - rank + i;
      const v = j < 0 ? 1 : s[j];
      if (v === null) unknown = true;
      else if (v !== 1) {
        if (d !== 1 && v !== d) {
          throw new ShapeError(
            `${owner}: inputs of shapes ${shapes.map((x) => JSON.stringify(x)).join(', ')} do not broadcast`,
          );
        }
        d = v;
      }
    }
    out.push(d === 1 && unknown ? null : d);
  }
  return out;
}

/**
 * The elementwise merge layers (Keras' base Merge): several inputs of broadcastable shapes, one
 * output; the output mask is the OR of the input masks, or none if any input has none.
 */
abstract class ElementwiseMerge extends Layer {
  constructor(options: LayerArgs = {}) {
    checkOptions(options?.name ?? 'Merge', options, LAYER_ARG_KEYS);
    super(options);
    this.supportsMasking = true;
    this.markBuilt();
  }

  /** The merge of the inputs, element-wise. */
  protected abstract combine(inputs: Tensor[]): Tensor;
  /** The fewest inputs the layer takes. */
  protected minInputs = 2;
  /** The most inputs the layer takes. */
  protected maxInputs = Number.POSITIVE_INFINITY;

  private checkCount(n: number): void {
    if (n < this.minInputs || n > this.maxInputs) {
      const want = this.minInputs === this.maxInputs ? `exactly ${this.minInputs}` : `at least ${this.minInputs}`;
      throw new ConfigError(`${this.name} (${this.layerType}): takes a list of ${want} inputs, got ${n}`);
    }
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    if (!Array.isArray(inputShape[0]))
      throw new ConfigError(`${this.name} (${this.layerType}): takes a list of inputs`);
    const shapes = inputShape as SymbolicShape[];
    this.checkCount(shapes.length);
    return broadcastSymbolic(this.name, shapes);
  }

  override forward(inputs: Tensor[], _args?: CallArgs): Tensor {
    if (!Array.isArray(inputs)) throw new ConfigError(`${this.name} (${this.layerType}): takes a list of inputs`);
    this.checkCount(inputs.length);
    let shape: number[] | null = [];
    for (const t of inputs) shape = shape && tryBroadcastShapes(shape, t.shape);
    if (!shape) {
      throw new ShapeError(
        `${this.name}: inputs of shapes ${inputs.map((t) => `[${t.shape.join(', ')}]`).join(', ')} do not broadcast`,
      );
    }
    return tidy(() => this.combine(inputs));
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask {
    if (!Array.isArray(mask) || mask.some((m) => !m)) return null;
    return orMasks(mask as Tensor[]);
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(this: new (o: LayerArgs) => Layer, config: Record<string, unknown>): Layer {
    return new this(config as LayerArgs);
  }

  /** The ONNX operator of the merge. */
  protected abstract readonly onnxOp: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Mean';

  /** Its ONNX form: the elementwise operator, masks OR-ed. */
  onnxNodes(ctx: ExportContext, inputs: Value[]): Value[] {
    return [mergeOnnx(ctx, this.onnxOp, inputs)];
  }
}

/** keras.layers.Add: the elementwise sum of the inputs. */
export class Add extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Add';
  protected readonly onnxOp = 'Add';
  override get layerType(): string {
    return 'Add';
  }
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => add(a, b), xs[0]);
  }
}

/** keras.layers.Subtract: the first input minus the second. */
export class Subtract extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Subtract';
  protected readonly onnxOp = 'Sub';
  override get layerType(): string {
    return 'Subtract';
  }
  protected override minInputs = 2;
  protected override maxInputs = 2;
  protected combine([a, b]: Tensor[]): Tensor {
    return sub(a, b);
  }
}

/** keras.layers.Multiply: the elementwise product. */
export class Multiply extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Multiply';
  protected readonly onnxOp = 'Mul';
  override get layerType(): string {
    return 'Multiply';
  }
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => mul(a, b), xs[0]);
  }
}

/** keras.layers.Average: the elementwise mean. */
export class Average extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Average';
  protected readonly onnxOp = 'Mean';
  override get layerType(): string {
    return 'Average';
  }
  protected combine(xs: Tensor[]): Tensor {
    return div(
      xs.slice(1).reduce((a, b) => add(a, b), xs[0]),
      xs.length,
    );
  }
}

/** keras.layers.Maximum: the elementwise maximum. */
export class Maximum extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Maximum';
  protected readonly onnxOp = 'Max';
  override get layerType(): string {
    return 'Maximum';
  }
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => maximum(a, b), xs[0]);
  }
}

/** keras.layers.Minimum: the elementwise minimum. */
export class Minimum extends ElementwiseMerge {
  /** The class name configs and files use for it. */
  static readonly className = 'Minimum';
  protected readonly onnxOp = 'Min';
  override get layerType(): string {
    return 'Minimum';
  }
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => minimum(a, b), xs[0]);
  }
}

export interface ConcatenateOptions extends LayerArgs {
  /** The axis to join along (default -1, the features). */
  axis?: number;
}

/**
 * keras.layers.Concatenate: joins the inputs along `axis`. The output mask is Keras': each
 * input's mask (all true where it has none) joined along the axis, then reduced over the features.
 */
export class Concatenate extends Layer {
  /** The class name configs and files use for it. */
  static readonly className = 'Concatenate';
  override get layerType(): string {
    return 'Concatenate';
  }

  /** The axis to concatenate along (default −1). */
  readonly axis: number;

  constructor(options: ConcatenateOptions = {}) {
    checkOptions(options?.name ?? 'Concatenate', options, [...LAYER_ARG_KEYS, 'axis']);
    super(options);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new ConfigError(`${this.name}: axis must be an integer, got ${this.axis}`);
    this.supportsMasking = true;
    this.markBuilt();
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape {
    if (!Array.isArray(inputShape[0]) || inputShape.length < 1) {
      throw new ConfigError(`${this.name} (Concatenate): takes a list of inputs`);
    }
    const shapes = inputShape as SymbolicShape[];
    const rank = shapes[0].length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (shapes.some((s) => s.length !== rank) || axis < 0 || axis >= rank) {
      throw new ShapeError(
        `${this.name}: cannot concatenate shapes ${shapes.map((s) => JSON.stringify(s)).join(', ')} on axis ${this.axis}`,
      );
    }
    const out = [...shapes[0]];
    for (const s of shapes.slice(1)) {
      s.forEach((d, i) => {
        if (i === axis) return;
        if (d !== null && out[i] !== null && d !== out[i]) {
          throw new ShapeError(
            `${this.name}: cannot concatenate shapes ${shapes.map((x) => JSON.stringify(x)).join(', ')} on axis ${this.axis}`,
          );
        }
        if (out[i] === null) out[i] = d;
      });
      out[axis] = out[axis] === null || s[axis] === null ? null : (out[axis] as number) + (s[axis] as number);
    }
    return out;
  }

  override forward(inputs: Tensor[]): Tensor {
    if (!Array.isArray(inputs)) throw new ConfigError(`${this.name} (Concatenate): takes a list of inputs`);
    return concat(inputs, this.axis);
  }

  override computeMask(inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask {
    if (!Array.isArray(mask) || mask.every((m) => !m)) return null;
    const xs = inputs as Tensor[];
    return tidy(() => {
      const full = xs.map((x, i) => {
        const m = (mask as Mask[])[i];
        if (!m) return ones(x.shape, 'bool');
        return m.rank < x.rank ? broadcastTo(unsqueeze(cast(m, 'bool'), -1), x.shape) : cast(m, 'bool');
      });
      return anyAlong(concat(full, this.axis), -1);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>): Concatenate {
    return new Concatenate(config as ConcatenateOptions);
  }

  /** Its ONNX form: a Concat (masks only along the feature axis). */
  onnxNodes(ctx: ExportContext, inputs: Value[]): Value[] {
    return [concatenateOnnx(ctx, this, this.axis, inputs)];
  }
}
