import { checkOptions } from '@recur/layers';
import { ConfigError, type Tensor } from '@recur/tensor';
import { type ConfigContext, type LayerSpec, specOf } from './engine/config';
import type { Functional } from './engine/functional';
import { InputLayer } from './engine/input-layer';
import { type CallArgs, Layer } from './engine/layer';
import { printSummary, type SummaryOptions, type SummaryRow, summaryTable } from './engine/summary';
import type { ShapeArg, SymbolicShape, SymbolicTensor } from './engine/symbolic';
import { type BatchSource, type FitArgs, type History, Model } from './model';
import type { DataInput } from './trainer/data-adapter';

/** What `new Sequential(...)` takes besides a list of layers. */
export interface SequentialOptions {
  /** The layers, in order. */
  layers?: Layer[];
  /** The model's name (default generated). */
  name?: string;
  /** Whether its weights train (default true). */
  trainable?: boolean;
}

/**
 * Keras' Sequential: a stack of single-output layers. It builds (becomes a graph model with
 * `summary`, `getWeights`, `fit`, ...) as soon as it knows its input shape: from the first layer's
 * `inputShape` / `batchInputShape`, an `InputLayer` added first, `build(shape)`, or the first data
 * it sees.
 *
 * @example
 * ```ts
 * import { Dense, Embedding, Sequential, SimpleRNN } from '@recur/keras';
 * const model = new Sequential({
 *   layers: [
 *     new Embedding({ inputDim: 5000, outputDim: 100, inputShape: [null] }),
 *     new SimpleRNN({ units: 128 }),
 *     new Dense({ units: 1, activation: 'sigmoid' }),
 *   ],
 * });
 * console.log(model.countParams()); // 529441
 * model.add(new Dense({ units: 1 }));
 * console.log(model.layers.length, model.outputs[0].shape); // 4 [null, 1]
 * ```
 */
export class Sequential extends Model<SymbolicTensor> {
  /** The class name configs and files use for it. */
  static override readonly className: string = 'Sequential';
  override get layerType(): string {
    return 'Sequential';
  }

  private readonly stack: Layer[] = [];
  private inputLayer: InputLayer | null = null;

  constructor(options: SequentialOptions | Layer[] = {}) {
    const o = Array.isArray(options) ? { layers: options } : options;
    checkOptions('Sequential', o, ['layers', 'name', 'trainable']);
    super({ name: o.name, trainable: o.trainable });
    for (const l of o.layers ?? []) this.add(l);
  }

  /** The layers, in order (without the InputLayer, as Keras lists them). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Adds a layer on top; builds the model as soon as the input shape is known. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new ConfigError(`${this.name}.add: expected a Keras layer, got ${layer === null ? 'null' : typeof layer}`);
    }
    if (layer instanceof InputLayer) {
      if (this.stack.length || this.inputLayer)
        throw new ConfigError(`${this.name}: an InputLayer can only come first`);
      this.inputLayer = layer;
      return this;
    }
    if (this.stack.includes(layer))
      throw new ConfigError(`${this.name}: layer '${layer.name}' is already in the model`);
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new ConfigError(`${this.name}: the layer name '${layer.name}' is already used; names must be unique`);
    }
    const first = this.stack.length === 0;
    this.stack.push(layer);
    if (first && !this.inputLayer && layer.batchInputShape) {
      this.inputLayer = new InputLayer({ batchInputShape: layer.batchInputShape, name: `${layer.name}_input` });
    }
    if (this.hasGraph && !first) {
      // Only the new layer is applied: the graph so far stays as it is.
      const out = layer.apply(this.outputs[0]);
      if (Array.isArray(out)) {
        this.stack.pop();
        throw multiOutputError(this.name, layer, out.length);
      }
      this.setGraph(this.inputLayer?.output as SymbolicTensor, out);
    } else if (this.inputLayer) {
      try {
        this.rebuild();
      } catch (e) {
        this.stack.pop();
        throw e;
      }
    }
    return this;
  }

  /** Removes the last layer. */
  pop(): Layer {
    const l = this.stack.pop();
    if (!l) throw new ConfigError(`${this.name}.pop: the model has no layers`);
    if (this.stack.length && this.inputLayer) this.rebuild();
    return l;
  }

  /** Builds the model for inputs of this shape (batch and time may be null), e.g. [null, null] for token ids. */
  override build(inputShape: ShapeArg): void {
    if (this.hasGraph) return;
    const shape = [...(inputShape as SymbolicShape)];
    this.inputLayer = new InputLayer({
      batchInputShape: shape,
      name: `${this.stack[0]?.name ?? this.name}_input`,
    });
    this.rebuild();
  }

  private rebuild(): void {
    if (!this.inputLayer) return;
    if (this.stack.length === 0) return;
    let x: SymbolicTensor = this.inputLayer.output;
    for (const layer of this.stack) {
      const out = layer.apply(x);
      if (Array.isArray(out)) throw multiOutputError(this.name, layer, out.length);
      x = out;
    }
    this.setGraph(this.inputLayer.output, x);
  }

  /** Builds from the data's shape (batch free) if the model has no input shape yet. */
  private ensureBuilt(x: unknown): void {
    if (this.hasGraph) return;
    if (this.stack.length === 0) throw new ConfigError(`${this.name}: the model has no layers`);
    const t = Array.isArray(x) && x.length === 1 && x[0] && typeof x[0] === 'object' && 'shape' in x[0] ? x[0] : x;
    const shape = t && typeof t === 'object' && 'shape' in (t as object) ? [...(t as Tensor).shape] : inferShape(t);
    if (!shape)
      throw new ConfigError(`${this.name}: not built: give the first layer an inputShape or call build(shape)`);
    this.build([null, ...shape.slice(1)]);
  }

  override predict(x: Parameters<Model['predict']>[0], args?: Parameters<Model['predict']>[1]): Tensor {
    this.ensureBuilt(x);
    return super.predict(x, args);
  }

  override fit(x: DataInput, y: DataInput, args?: FitArgs): Promise<History>;
  override fit(source: BatchSource, args?: FitArgs): Promise<History>;
  override fit(x: DataInput | BatchSource, y?: DataInput | FitArgs, args?: FitArgs): Promise<History> {
    if (!this.hasGraph && !(x && typeof x === 'object' && Symbol.asyncIterator in (x as object))) this.ensureBuilt(x);
    return (super.fit as (...a: unknown[]) => Promise<History>)(x, y, args);
  }

  override forward(inputs: Tensor | Tensor[], args?: CallArgs): Tensor | Tensor[] {
    this.ensureBuilt(inputs);
    return super.forward(inputs, args);
  }

  override compile(args: Parameters<Model['compile']>[0]): void {
    if (!this.hasGraph) {
      // Keras allows compiling before the model is built: resolve the losses once it is.
      this.pendingCompile = args;
      return;
    }
    super.compile(args);
  }

  private pendingCompile: Parameters<Model['compile']>[0] | null = null;

  protected override setGraph(...args: Parameters<Functional['setGraph']>): void {
    super.setGraph(...args);
    if (this.pendingCompile) {
      const c = this.pendingCompile;
      this.pendingCompile = null;
      super.compile(c);
    }
  }

  override get isCompiled(): boolean {
    return super.isCompiled || this.pendingCompile !== null;
  }

  /** Keras' summary: Layer (type), Output Shape, Param # (no InputLayer row); before build, says how to build. */
  override summary(options: SummaryOptions = {}): string {
    if (!this.hasGraph) {
      return printSummary(
        `Model: "${this.name}" is not built: give the first layer an inputShape or call build(shape)`,
        options,
      );
    }
    const rows = this.summaryRows();
    return printSummary(
      summaryTable(this.name, rows, { lineLength: options.lineLength }, this.trainableCount()),
      options,
    );
  }

  override summaryRows(): SummaryRow[] {
    return super.summaryRows().filter((r) => r.className !== 'InputLayer');
  }

  /** Keras' Sequential config: the layers in order, the first carrying the batch input shape. */
  override getConfig(): Record<string, unknown> {
    const layers = this.stack.map((l) => specOf(l));
    if (this.inputLayer && layers.length)
      layers[0].config = { ...layers[0].config, batchInputShape: [...this.inputLayer.shape] };
    const input = this.inputLayer && this.inputLayer.dtype !== 'float32' ? { inputDType: this.inputLayer.dtype } : {};
    return { name: this.name, layers, ...input };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static override fromConfig(config: Record<string, unknown>, context: ConfigContext): Sequential {
    const c = config as { name?: string; layers?: LayerSpec[] };
    if (!Array.isArray(c.layers))
      throw new ConfigError(`Sequential config: 'layers' should be a list, got ${JSON.stringify(c.layers)}`);
    const model = new Sequential({ name: c.name });
    for (const spec of c.layers) model.add(context.deserialize(spec));
    return model;
  }
}

function multiOutputError(model: string, layer: Layer, n: number): ConfigError {
  return new ConfigError(
    `${model}: layer '${layer.name}' (${layer.layerType}) returns ${n} tensors; every layer of a Sequential must have one output (returnState: false), use the functional API for more`,
  );
}

function inferShape(x: unknown): number[] | null {
  if (!Array.isArray(x)) return null;
  const shape: number[] = [];
  let v: unknown = x;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}
