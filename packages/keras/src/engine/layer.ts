import { DTYPES } from '@recur/backend-api';
import { type InitializerSpec, initializer, Module } from '@recur/layers';
import {
  ConfigError,
  cast,
  type DType,
  formatShape,
  type NestedArray,
  type Rng,
  ShapeError,
  sizeOf,
  Tensor,
  type TypedArray,
  tensor,
} from '@recur/tensor';
import { LayerWeight } from './layer-weight';
import { formatSymbolicShape, isSymbolic, Node, type ShapeArg, type SymbolicShape, SymbolicTensor } from './symbolic';

/** Options every Keras-door layer takes (tfjs' LayerArgs). */
export const LAYER_ARG_KEYS = ['name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize', 'dtype'] as const;

/** Options every Keras-door layer takes (tfjs' LayerArgs, in camelCase). */
export interface LayerArgs {
  /** The layer's name (default generated: lstm, lstm_1, ...). */
  name?: string;
  /** false freezes the layer's weights (fit leaves them alone). Default true. */
  trainable?: boolean;
  /** The input shape without the batch axis; lets Sequential build as soon as the layer is added. */
  inputShape?: SymbolicShape;
  /** The input shape with the batch axis (a stateful RNN needs a fixed batch). */
  batchInputShape?: SymbolicShape;
  /** With inputShape: a fixed batch size. */
  batchSize?: number;
  /** The weights' dtype (default float32). */
  dtype?: DType;
}

const isShape = (v: unknown): boolean =>
  Array.isArray(v) && v.every((d) => d === null || (Number.isSafeInteger(d) && (d as number) >= 0));

/** The arguments every layer takes, checked before they are used (they often come from a file). */
function checkLayerArgs(args: LayerArgs): void {
  const bad = (what: string, want: string, got: unknown): never => {
    throw new ConfigError(
      `${typeof args.name === 'string' ? args.name : 'layer'}: ${what} should be ${want}, got ${JSON.stringify(got)?.slice(0, 60)}`,
    );
  };
  if (typeof args !== 'object' || args === null) bad('the layer arguments', 'an object', args);
  if (args.name !== undefined && args.name !== null && typeof args.name !== 'string')
    bad('name', 'a string', args.name);
  if (args.trainable !== undefined && typeof args.trainable !== 'boolean')
    bad('trainable', 'true or false', args.trainable);
  if (args.inputShape !== undefined && args.inputShape !== null && !isShape(args.inputShape))
    bad('inputShape', 'a list of sizes (or null)', args.inputShape);
  if (args.batchInputShape !== undefined && args.batchInputShape !== null && !isShape(args.batchInputShape))
    bad('batchInputShape', 'a list of sizes (or null)', args.batchInputShape);
  if (
    args.batchSize !== undefined &&
    args.batchSize !== null &&
    !(Number.isSafeInteger(args.batchSize) && (args.batchSize as number) > 0)
  )
    bad('batchSize', 'a positive integer', args.batchSize);
  if (args.dtype !== undefined && args.dtype !== null && !DTYPES.includes(args.dtype))
    bad('dtype', DTYPES.join(', '), args.dtype);
}

/** A Keras mask: bool [batch, time] (true for real steps), or null for none. */
export type Mask = Tensor | null;

/** What a layer's forward receives besides its inputs. */
export interface CallArgs {
  /** The input's mask (a list for layers that take a list of inputs). */
  mask?: Mask | Mask[];
  /** Overrides the layer's training flag (dropout). */
  training?: boolean;
  /** Initial states of a recurrent layer. */
  initialState?: Tensor[];
}

/** `apply` on symbolic tensors takes the same arguments, with symbolic initial states. */
export interface ApplyArgs {
  /** The inputs' mask (bool [B, T]), or one per input. */
  mask?: Mask | Mask[];
  /** Training mode (dropout on); default the layer's own mode. */
  training?: boolean;
  /** A recurrent layer's initial states. */
  initialState?: (Tensor | SymbolicTensor)[];
}

/** What `setWeights` and `apply` accept where Keras takes a NumPy array. */
export type ArrayInput = Tensor | NestedArray | TypedArray | readonly number[];

/**
 * Where `addWeight` takes a weight's value instead of running its initializer: a model file's
 * weights, handed to each layer a loader builds (`takeWeightsFrom`).
 */
export interface WeightSource {
  /**
   * The value of weight `name` that `layer` is adding, as part of `owner` (the layer the loader
   * made, e.g. the Bidirectional around a cell); undefined lets the initializer run.
   */
  take(owner: Layer, layer: Layer, name: string, shape: readonly number[], dtype: DType): Tensor | undefined;
}

/** A layer's outputs on symbolic inputs: arrays for layers with several outputs (`returnState`). */
export type SymbolicOutputs<L> = L extends MultiOutput ? SymbolicTensor[] : SymbolicTensor;
/** A layer's outputs on tensors: arrays for layers with several outputs (`returnState`). */
export type EagerOutputs<L> = L extends MultiOutput ? Tensor[] : Tensor;

/** A layer known, by its type, to return several outputs. */
export interface MultiOutput {
  /** Always true. */
  readonly multiOutput: true;
}

function isShapeList(s: unknown): s is SymbolicShape[] {
  return Array.isArray(s) && s.length > 0 && s.every((d) => Array.isArray(d));
}

/** Turns a JS array, typed array or tensor into a tensor of `shape` (for weights: a flat typed array is reshaped). */
export function toTensor(value: ArrayInput, what: string, shape?: readonly number[], dtype?: DType): Tensor {
  if (value instanceof Tensor) return value;
  if (ArrayBuffer.isView(value)) {
    const n = (value as TypedArray).length;
    if (shape && n !== sizeOf(shape)) {
      throw new ShapeError(`${what}: ${n} values do not fill ${formatShape(shape)} (${sizeOf(shape)} values)`);
    }
    return tensor(value as TypedArray, { shape: shape ?? [n], dtype });
  }
  if (typeof value === 'number' || Array.isArray(value)) return tensor(value as NestedArray, { dtype });
  throw new ConfigError(`${what}: expected a tensor, nested arrays of numbers or a typed array, got ${typeof value}`);
}

/**
 * The base of every Keras-door layer: built on first use from its input shape, callable on
 * tensors (`apply` runs it) and on symbolic tensors (`apply` records a call in a model graph),
 * with Keras' masks, `getWeights` / `setWeights` in Keras order, `getConfig` and `countParams`.
 */
export abstract class Layer extends Module {
  /** The input shape with batch the layer was declared with (inputShape / batchInputShape), if any. */
  readonly batchInputShape: SymbolicShape | null;
  /** The weights' dtype. */
  readonly dtype: DType;
  /** Every call of this layer on symbolic tensors, in order (Keras' inbound nodes). */
  readonly inboundNodes: Node[] = [];
  /** Whether the layer passes the mask of its input on (Keras' supports_masking). */
  supportsMasking = false;
  /** True for layers whose call returns several tensors (a recurrent layer with returnState). */
  multiOutput = false;
  /** True for layers that take initial states (recurrent layers): `apply([x, ...states])` passes them so. */
  readonly takesInitialState: boolean = false;
  private builtFlag = false;
  private trainableFlag: boolean;
  /** A file's weights for this layer while a loader builds it (see takeWeightsFrom). */
  private weightSource: { source: WeightSource; owner: Layer } | null = null;

  constructor(args: LayerArgs = {}) {
    checkLayerArgs(args);
    super(args.name ?? undefined);
    // Keras: a layer called outside fit runs in inference (dropout off); fit switches it on.
    this.training = false;
    this.trainableFlag = args.trainable ?? true;
    this.dtype = args.dtype ?? 'float32';
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else this.batchInputShape = null;
  }

  /** Whether `build` has made the weights. */
  get built(): boolean {
    return this.builtFlag;
  }

  /** Marks the layer built; `build` implementations call it once their weights exist. */
  protected markBuilt(): void {
    this.builtFlag = true;
  }

  /** Creates the weights for an input of this shape (batch and time may be null). Called once. */
  build(_inputShape: ShapeArg): void {
    this.markBuilt();
  }

  /** Whether `fit` updates its weights (false: frozen). */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  /** Freezes (false) or unfreezes the layer's weights, and those of its sub-layers. */
  set trainable(value: boolean) {
    this.trainableFlag = value;
    for (const p of this.parameters()) p.trainable = value;
    for (const [, m] of this.namedModules()) if (m instanceof Layer) m.trainableFlag = value;
  }

  /**
   * Adds a weight, Keras' add_weight: from its shape and initializer (or a value), trainable
   * unless the layer is frozen. While a loader builds the layer (`takeWeightsFrom`), the value
   * comes from the file and the initializer never runs.
   */
  addWeight(
    name: string,
    valueOrShape: Tensor | readonly number[],
    init: InitializerSpec = 'glorotUniform',
    options: { dtype?: DType; rng?: Rng; trainable?: boolean } = {},
  ): Tensor {
    const shape = valueOrShape instanceof Tensor ? valueOrShape.shape : valueOrShape;
    const dtype = options.dtype ?? (valueOrShape instanceof Tensor ? valueOrShape.dtype : this.dtype);
    const from = this.weightSource;
    const loaded = from?.source.take(from.owner, this, name, shape, dtype);
    let value: Tensor;
    if (loaded) {
      if (valueOrShape instanceof Tensor) valueOrShape.dispose();
      value = loaded;
    } else {
      value = valueOrShape instanceof Tensor ? valueOrShape : initializer(init)(shape, { dtype, rng: options.rng });
    }
    this.registerParameter(name, value, (options.trainable ?? true) && this.trainableFlag);
    return this.parameter(name).value;
  }

  /**
   * Hands this layer and its sub-layers a model file's weights: until `takeWeightsFrom(null)`, the
   * weights they add while building come from `source` rather than their initializers. A loader
   * calls it on every layer it makes, before the layer builds.
   */
  takeWeightsFrom(source: WeightSource | null): void {
    const from = source ? { source, owner: this as Layer } : null;
    this.weightSource = from;
    for (const [, m] of this.namedModules()) if (m instanceof Layer) m.weightSource = from;
  }

  /** The current value of a weight this layer added. */
  weight(name: string): Tensor {
    return this.parameter(name).value;
  }

  /**
   * Runs the layer on real inputs. A custom layer overrides this, or writes Keras' and tfjs'
   * `call(inputs, args)` instead, which this runs.
   */
  forward(inputs: Tensor | Tensor[], args?: CallArgs): Tensor | Tensor[] {
    const call = (this as { call?: unknown }).call;
    if (typeof call === 'function') return call.call(this, inputs, args ?? {});
    throw new ConfigError(
      `${this.name} (${this.layerType}): a custom layer implements call(inputs) or forward(inputs)`,
    );
  }

  /** The output shape (or shapes) for an input shape; batch and free axes stay null. */
  computeOutputShape(inputShape: ShapeArg): SymbolicShape | SymbolicShape[] {
    return Array.isArray(inputShape[0])
      ? (inputShape as readonly (readonly (number | null)[])[]).map((s) => [...s])
      : [...(inputShape as readonly (number | null)[])];
  }

  /** The mask of the output: the input's when the layer supports masking, else none. */
  computeMask(_inputs: Tensor | Tensor[], mask?: Mask | Mask[]): Mask | Mask[] {
    if (!this.supportsMasking) return null;
    return Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
  }

  /** Checks an input shape against the built weights, naming the layer and both shapes. */
  protected checkInputShape(_inputShape: ShapeArg): void {}

  /** The dtype of output `index` (float32 unless the layer says otherwise). */
  outputDType(_index: number, inputDTypes: DType[]): DType {
    return this.dtype ?? inputDTypes[0] ?? 'float32';
  }

  /**
   * Calls the layer: on tensors (or nested arrays) it runs; on symbolic tensors (from
   * `keras.Input`) it records the call in the model graph and returns symbolic outputs.
   *
   * @example
   * ```ts
   * import { Input, LSTM } from '@recur/keras';
   * const lstm = new LSTM({ units: 16 });
   * const h = lstm.apply(Input({ shape: [null, 8] })); // records the call: a SymbolicTensor
   * const y = lstm.apply([[[1, 2, 3, 4, 5, 6, 7, 8]]]); // runs it on data: a Tensor
   * console.log(h.shape, y.shape); // [null, 16] [1, 16]
   * ```
   */
  apply<L extends Layer>(this: L, inputs: SymbolicTensor | SymbolicTensor[], args?: ApplyArgs): SymbolicOutputs<L>;
  apply<L extends Layer>(this: L, inputs: Tensor | Tensor[] | ArrayInput, args?: ApplyArgs): EagerOutputs<L>;
  apply(inputs: SymbolicTensor | SymbolicTensor[] | ArrayInput | Tensor[], args: ApplyArgs = {}): unknown {
    let list = Array.isArray(inputs) && inputs.length > 0 && (isSymbolic(inputs[0]) || inputs[0] instanceof Tensor);
    let main = (list ? inputs : [inputs]) as unknown[];
    let states = args.initialState ?? [];
    // tfjs' and Keras' other spelling of initial states: apply([x, ...states]).
    if (list && this.takesInitialState && main.length > 1 && states.length === 0) {
      states = main.slice(1) as Tensor[];
      main = [main[0]];
      list = false;
    }
    const symbolic = [...main, ...states].filter(isSymbolic).length;
    if (symbolic > 0) {
      if (symbolic !== main.length + states.length) {
        throw new ConfigError(
          `${this.name}: inputs and initial states must all be symbolic (from keras.Input) or all be tensors`,
        );
      }
      return this.applySymbolic(main as SymbolicTensor[], list, states as SymbolicTensor[], args);
    }
    const tensors = main.map((t, i) => toTensor(t as ArrayInput, `${this.name}: input ${i}`));
    try {
      return this.forward(list ? tensors : tensors[0], {
        mask: args.mask,
        training: args.training,
        initialState: states.length ? (states as Tensor[]) : undefined,
      });
    } finally {
      tensors.forEach((t, i) => {
        if (t !== main[i]) t.dispose();
      });
    }
  }

  private applySymbolic(
    main: SymbolicTensor[],
    list: boolean,
    states: SymbolicTensor[],
    args: ApplyArgs,
  ): SymbolicTensor | SymbolicTensor[] {
    const inputShape = list ? main.map((t) => [...t.shape]) : [...main[0].shape];
    if (!this.built) this.build(inputShape);
    this.checkInputShape(inputShape);
    if (states.length) this.checkInitialStates(states.map((s) => s.shape));
    const out = this.computeOutputShape(inputShape);
    const shapes = isShapeList(out) ? out : [out as SymbolicShape];
    const node = new Node(
      this,
      [...main, ...states],
      { list, initialStates: states.length, training: args.training },
      this.inboundNodes.length,
    );
    const dtypes = main.map((t) => t.dtype);
    node.outputs = shapes.map(
      (s, i) => new SymbolicTensor([...s], this.outputDType(i, dtypes), node, i, `${this.name}/${node.index}/${i}`),
    );
    this.inboundNodes.push(node);
    return isShapeList(out) ? node.outputs : node.outputs[0];
  }

  /**
   * Refuses, when the layer is applied to symbolic tensors, initial states it cannot take (their
   * number, their shapes), as Keras does at call time rather than when the model runs.
   */
  protected checkInitialStates(states: SymbolicShape[]): void {
    if (!this.takesInitialState) {
      throw new ConfigError(`${this.name} (${this.layerType}) takes no initial states, got ${states.length}`);
    }
  }

  /** The layer's weights in Keras order (kernel, recurrent_kernel, bias, ...). Live values: do not dispose. */
  getWeights(): Tensor[] {
    return this.parameters().map((p) => p.value);
  }

  /** Every weight in Keras order, as Keras' `layer.weights` and tfjs' `layer.weights` list them. */
  get weights(): LayerWeight[] {
    return this.namedParameters().map(
      ([path, p]) => new LayerWeight(`${this.name}/${path.replace(/\./g, '/')}`, p, () => this.trainable),
    );
  }

  /** The weights training updates (none when the layer is frozen). */
  get trainableWeights(): LayerWeight[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** The weights training leaves alone. */
  get nonTrainableWeights(): LayerWeight[] {
    return this.weights.filter((w) => !w.trainable);
  }

  /**
   * Sets every weight, in Keras order, from tensors, nested arrays or typed arrays. All shapes are
   * checked before any weight changes.
   */
  setWeights(values: ArrayInput[]): void {
    if (!this.built) this.buildFromWeights(values);
    const named = this.namedParameters();
    if (!Array.isArray(values) || values.length !== named.length) {
      throw new ConfigError(
        `${this.name}.setWeights: expected ${named.length} arrays (${named
          .map(([n, p]) => `${n.split('.').pop()} ${formatShape(p.shape)}`)
          .join(', ')}), got ${Array.isArray(values) ? values.length : typeof values}`,
      );
    }
    const tensors = values.map((v, i) =>
      toTensor(v, `${this.name}.setWeights: weight ${i} (${named[i][0]})`, named[i][1].shape),
    );
    try {
      tensors.forEach((t, i) => {
        const [n, p] = named[i];
        if (t.shape.join() !== p.shape.join()) {
          throw new ShapeError(
            `${this.name}.setWeights: weight ${i} '${n.split('.').pop()}' has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)}`,
          );
        }
      });
      tensors.forEach((t, i) => named[i][1].assign(cast(t, named[i][1].dtype)));
    } finally {
      tensors.forEach((t, i) => {
        if (t !== values[i]) t.dispose();
      });
    }
  }

  /** Builds an unbuilt layer from the shapes of the weights given to setWeights, where it can. */
  protected buildFromWeights(_values: ArrayInput[]): void {
    throw new ConfigError(
      `${this.name}.setWeights: the layer is not built yet; give it an inputShape, call build(shape) or apply it first`,
    );
  }

  /** Number of scalar weights, trainable and frozen (Keras' count_params). */
  countParams(): number {
    return this.numParameters();
  }

  /** The options that rebuild this layer with `fromConfig` (camelCase, as tfjs' getConfig). */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.batchInputShape) config.batchInputShape = [...this.batchInputShape];
    if (this.dtype !== 'float32') config.dtype = this.dtype;
    return config;
  }

  /** A description for error messages: name, type and a shape. */
  protected describe(shape: readonly (number | null)[]): string {
    return `${this.name} (${this.layerType}) got input ${formatSymbolicShape(shape)}`;
  }
}
