import { checkOptions, type Parameter } from '@recur/layers';
import { ConfigError, type Tensor } from '@recur/tensor';
import type { History, Logs, Optimizer } from '@recur/train';
import { makeOptimizer } from './compile/optimizers';
import type { ConfigContext } from './engine/config';
import { Functional, type FunctionalOptions } from './engine/functional';
import type { ArrayInput } from './engine/layer';
import type { SymbolicTensor } from './engine/symbolic';
import { type CompileArgs, type Compiled, compileArgs, metricsNames } from './trainer/compile-utils';
import { type BatchSource, type DataInput, isBatchSource, toTensors } from './trainer/data-adapter';
import {
  type EvaluateArgs,
  evaluateModel,
  type FitArgs,
  fitModel,
  predictModel,
  trainOnBatchModel,
} from './trainer/trainer';

/** What predict returns for a model made with these outputs: one tensor, or a list for a list of outputs. */
export type Prediction<O> = O extends SymbolicTensor[]
  ? Tensor[]
  : O extends SymbolicTensor
    ? Tensor
    : Tensor | Tensor[];

/** What `new Model({ inputs, outputs })` takes (Keras' Model(inputs, outputs)). */
export interface ModelOptions<O extends SymbolicTensor | SymbolicTensor[]> {
  /** The model's inputs, from `Input`. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs: one (predict returns a tensor) or a list. */
  outputs: O;
  /** The model's name (default generated). */
  name?: string;
  /** Whether its weights train (default true). */
  trainable?: boolean;
}

/**
 * Keras' Model (tfjs' LayersModel): a graph of layers from `Input`s to outputs, with
 * `compile` / `fit` / `evaluate` / `predict`, whole-model weights in Keras order, and `save`.
 *
 * @example
 * ```ts
 * import { Dense, Input, Model, SimpleRNN } from '@recur/keras';
 * import { oneHot, tensor } from '@recur/tensor';
 * const inputs = Input({ shape: [5, 5] });
 * const hidden = new SimpleRNN({ units: 3, returnSequences: true }).apply(inputs);
 * const outputs = new Dense({ units: 5, activation: 'softmax' }).apply(hidden);
 * const model = new Model({ inputs, outputs });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const x = oneHot(tensor([[0, 1, 2, 2, 3]], { dtype: 'int32' }), 5); // h e l l o
 * const y = tensor([[1, 2, 2, 3, 4]], { dtype: 'int32' }); // e l l o <EOS>
 * const history = await model.fit(x, y, { epochs: 3, verbose: 0 });
 * console.log(model.predict(x).shape, Object.keys(history.history)); // [1, 5, 5] ['loss', 'accuracy']
 * ```
 */
export class Model<O extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor | SymbolicTensor[]> extends Functional {
  /** The class name configs and files use for it. */
  static override readonly className: string = 'Functional';
  override get layerType(): string {
    return 'Functional';
  }

  /** A model from inputs and outputs (a subclass, Sequential, may set its graph later). */
  constructor(options: ModelOptions<O>);
  constructor(options?: Partial<FunctionalOptions>);
  constructor(options?: ModelOptions<O> | Partial<FunctionalOptions>) {
    super(options);
  }

  /** Rebuilds a model from a functional config (layers, their calls, inputs and outputs). */
  static override fromConfig(config: Record<string, unknown>, context: ConfigContext): Model {
    return Functional.fromConfig.call(Model, config, context) as Model;
  }

  /** Whether the model returns a list (it was made with a list of outputs); typed from the outputs. */
  declare multiOutput: O extends SymbolicTensor[] ? true : false;
  /** Set by a callback (EarlyStopping) to end fit after the current epoch. */
  stopTraining = false;
  /** The training config the model was loaded with (tfjs' trainingConfig, Keras' compile_config), if any. */
  trainingConfig?: Record<string, unknown>;
  /** tfjs' userDefinedMetadata of the file the model was loaded from, kept as is. */
  userDefinedMetadata?: Record<string, unknown>;
  private compiledWith: Compiled | null = null;
  private boundOptimizer: Optimizer | null = null;

  /** Names of the outputs (their layers' names), used for per-output losses, metrics and logs. */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.node.layer.name);
  }

  /** Sets the optimizer, the loss (per output) and the metrics used by fit and evaluate. */
  compile(args: CompileArgs): void {
    this.compiledWith = compileArgs(args, this.outputs);
    this.boundOptimizer?.dispose();
    this.boundOptimizer = null;
  }

  /** Whether compile has been called. */
  get isCompiled(): boolean {
    return this.compiledWith !== null;
  }

  /** The compile arguments (for saving the training config). */
  get compileArgs(): CompileArgs | null {
    return this.compiledWith?.args ?? null;
  }

  /** What compile resolved: losses, loss weights and metrics per output. */
  get compiled(): Compiled {
    if (!this.compiledWith)
      throw new ConfigError(`${this.name}: compile the model first (model.compile({ optimizer, loss }))`);
    return this.compiledWith;
  }

  private requireCompiled(): void {
    void this.compiled;
  }

  /** The optimizer compile asked for, bound to the current trainable weights (made on first use). */
  get optimizer(): Optimizer {
    const c = this.compiled;
    const params = this.trainableParameters();
    const o = this.boundOptimizer;
    if (!o || o.params.length !== params.length || o.params.some((p, i) => p !== params[i])) {
      o?.dispose();
      if (params.length === 0) throw new ConfigError(`${this.name}: the model has no trainable weights`);
      this.boundOptimizer = makeOptimizer(c.args.optimizer, params as Parameter[]);
    }
    return this.boundOptimizer as Optimizer;
  }

  /** The logged names of losses and metrics, in evaluate's order. */
  get metricsNames(): string[] {
    return metricsNames(this.compiled);
  }

  /**
   * Runs the model in inference mode (dropout off) in batches of `batchSize` (default 32) and
   * returns the outputs: one tensor, or a list for a model with several outputs.
   */
  predict(x: DataInput, args: { batchSize?: number; verbose?: 0 | 1 } = {}): Prediction<O> {
    checkOptions(`${this.name}.predict`, args, ['batchSize', 'verbose']);
    const outs = predictModel(this, x, args.batchSize ?? 32);
    return (this.multiOutput ? outs : outs[0]) as Prediction<O>;
  }

  /** One forward pass in inference mode on one batch. */
  predictOnBatch(x: DataInput): Prediction<O> {
    const n = toTensors('inputs', x, this.inputs);
    const size = n.tensors[0].shape[0];
    for (const t of n.owned) t.dispose();
    return this.predict(x, { batchSize: Math.max(1, size) });
  }

  /** Clears the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const l of this.layers) {
      const r = l as { resetStates?: () => void };
      if (typeof r.resetStates === 'function') r.resetStates();
    }
  }

  /**
   * Trains the model (Keras' fit): batches of `batchSize`, one optimizer step each, the epoch's
   * per-sample mean loss and metrics, validation after each epoch, callbacks, and a History.
   * `x` and `y` are tensors, nested arrays, typed arrays or lists of them; or pass an (async)
   * iterable of batches as the only data argument.
   *
   * @example
   * ```ts
   * import { Dense, LSTM, Sequential } from '@recur/keras';
   * import { randomNormal } from '@recur/tensor';
   * const model = new Sequential([new LSTM({ units: 8, inputShape: [10, 3] }), new Dense({ units: 2 })]);
   * model.compile({ optimizer: 'adam', loss: 'mse' });
   * const history = await model.fit(randomNormal([64, 10, 3]), randomNormal([64, 2]), {
   *   epochs: 2,
   *   batchSize: 16,
   *   validationSplit: 0.25,
   *   verbose: 0,
   * });
   * console.log(history.epoch, Object.keys(history.history)); // [0, 1] ['loss', 'val_loss']
   * ```
   */
  async fit(x: DataInput, y: DataInput, args?: FitArgs): Promise<History>;
  async fit(source: BatchSource, args?: FitArgs): Promise<History>;
  async fit(x: DataInput | BatchSource, yOrArgs?: DataInput | FitArgs, maybeArgs?: FitArgs): Promise<History> {
    this.requireCompiled();
    return isBatchSource(x)
      ? fitModel(this, x, undefined, yOrArgs as FitArgs)
      : fitModel(this, x, yOrArgs as DataInput, maybeArgs);
  }

  /**
   * One optimizer step on one batch (Keras' train_on_batch); returns the loss, or [loss,
   * ...metrics] when metrics were compiled (the batch's values, before the update).
   */
  trainOnBatch(
    x: DataInput,
    y: DataInput,
    args: { sampleWeight?: ArrayInput; classWeight?: Record<number, number> } = {},
  ): Promise<number | number[]> {
    this.requireCompiled();
    return trainOnBatchModel(this, x, y, args);
  }

  /**
   * Loss (and metrics) on x, y in inference mode: a number, a list in metricsNames order, or a
   * dict. Values are read asynchronously, so it runs on any backend.
   */
  evaluate(x: DataInput, y: DataInput, args: EvaluateArgs = {}): Promise<number | number[] | Logs> {
    this.requireCompiled();
    return evaluateModel(this, x, y, args);
  }

  /**
   * Saves the model (see `saveModel`): to a path in Node — `.keras`, a tfjs `model.json` (or a
   * folder), or recur's own file for any other name — or, without a path, returns the bytes.
   *
   * @example
   * ```ts
   * import { Dense, loadModel, Sequential } from '@recur/keras';
   * import type { Tensor } from '@recur/tensor';
   * const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
   * // To a path in Node: 'model.keras', 'web/model.json', or recur's own file; here the bytes.
   * const { files } = await model.save(undefined, { format: 'keras' });
   * const again = await loadModel(files['model.keras']);
   * console.log(Object.keys(files), (again.predict([[1, 2, 3]]) as Tensor).shape); // ['model.keras'] [1, 2]
   * ```
   */
  async save(path?: string, options: import('./io/save').SaveOptions = {}): Promise<import('./io/save').SavedFiles> {
    const { saveModel } = await import('./io/save');
    return saveModel(this, path, options);
  }

  override dispose(): void {
    this.boundOptimizer?.dispose();
    super.dispose();
  }
}

export type { BatchSource, DataInput, FitArgs, History, SymbolicTensor };
