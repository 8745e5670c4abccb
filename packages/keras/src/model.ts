import { noGrad } from '@recur/autograd';
import { shuffleInPlace } from '@recur/data';
import { checkOptions, type Parameter } from '@recur/layers';
import {
  add,
  ConfigError,
  cast,
  defaultRng,
  dispose,
  formatShape,
  mean,
  mul,
  Rng,
  reshape,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
} from '@recur/tensor';
import { type Optimizer, type StepResult, fit as trainFit } from '@recur/train';
import { type LossIdentifier, type LossSpec, resolveLoss } from './compile/losses';
import { type Metric, type MetricIdentifier, resolveMetric } from './compile/metrics';
import { makeOptimizer, type OptimizerIdentifier } from './compile/optimizers';
import type { ConfigContext } from './engine/config';
import { Functional, type FunctionalOptions } from './engine/functional';
import { type ArrayInput, toTensor } from './engine/layer';
import type { SymbolicTensor } from './engine/symbolic';
import { type Callback, type FitParams, toCallbacks } from './training/callbacks';
import { type DataInput, joinBatches, pick, rows, toTensors } from './training/data';
import { EpochMeans, EvaluationMeans, type Logs } from './training/logs';
import { ProgressLogger } from './training/progress';

export interface CompileArgs {
  /** 'adam', 'sgd', 'rmsprop', 'adamw', 'adagrad', `optimizers.adam({ learningRate })`, or a recur Optimizer. */
  optimizer: OptimizerIdentifier;
  /** One loss for every output, one per output (list), or a map by output name. */
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** Metrics for every output, or a map by output name. */
  metrics?: MetricIdentifier[] | Record<string, MetricIdentifier | MetricIdentifier[]>;
  /** Weights of the outputs' losses in the total (list or map by output name). */
  lossWeights?: number[] | Record<string, number>;
}

/** A batch for fit / evaluate: inputs, targets and optional per-sample weights. */
export interface DataBatch {
  xs: DataInput;
  ys: DataInput;
  sampleWeight?: ArrayInput;
}

/** What fit accepts besides x and y: an (async) iterable of batches, re-iterated every epoch. */
export type BatchSource =
  | Iterable<DataBatch | [DataInput, DataInput]>
  | AsyncIterable<DataBatch | [DataInput, DataInput]>;

export interface FitArgs {
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 a progress bar in a Node terminal (one line per epoch elsewhere), 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  /** The last fraction of the samples, taken before shuffling, is held out for validation. */
  validationSplit?: number;
  validationData?: [DataInput, DataInput] | [DataInput, DataInput, ArrayInput];
  validationBatchSize?: number;
  /** Shuffle the training samples each epoch (default true). */
  shuffle?: boolean;
  /** Seed for the shuffles (default: recur's global generator, see manualSeed). */
  seed?: number;
  /** A weight per class id, applied to each sample's loss. */
  classWeight?: Record<number, number>;
  /** A weight per sample. */
  sampleWeight?: ArrayInput;
  callbacks?: Callback | Callback[];
  /** Epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** For batch sources: batches per epoch, if the source does not end. */
  stepsPerEpoch?: number;
  /** Clip the global gradient norm before each update (PyTorch's clip_grad_norm_). */
  clipGradNorm?: number;
}

/** What fit returns (Keras' History): the epochs run and, per logged name, one value per epoch. */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  params: FitParams;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1;
  sampleWeight?: ArrayInput;
  /** Return { loss, accuracy, ... } instead of a number or a list. */
  returnDict?: boolean;
}

interface Compiled {
  args: CompileArgs;
  losses: LossSpec[];
  lossWeights: number[];
  metrics: Metric[][];
  optimizer: Optimizer | null;
}

interface Batch {
  xs: Tensor[];
  ys: Tensor[];
  weights: Tensor | null;
  size: number;
  owned: Tensor[];
}

function perOutput<T>(what: string, given: T | T[] | Record<string, T> | undefined, names: string[], fallback: T): T[] {
  if (given === undefined) return names.map(() => fallback);
  if (Array.isArray(given)) {
    if (given.length !== names.length) {
      throw new ConfigError(
        `compile: ${what} has ${given.length} entries for ${names.length} outputs (${names.join(', ')})`,
      );
    }
    return given;
  }
  if (
    given &&
    typeof given === 'object' &&
    !('className' in given) &&
    !('class_name' in given) &&
    typeof given !== 'function'
  ) {
    const map = given as Record<string, T>;
    for (const k of Object.keys(map)) {
      if (!names.includes(k))
        throw new ConfigError(`compile: ${what} names '${k}', which is not an output (${names.join(', ')})`);
    }
    return names.map((n) => map[n] ?? fallback);
  }
  return names.map(() => given as T);
}

/** What predict returns for a model made with these outputs: one tensor, or a list for a list of outputs. */
export type Prediction<O> = O extends SymbolicTensor[]
  ? Tensor[]
  : O extends SymbolicTensor
    ? Tensor
    : Tensor | Tensor[];

export interface ModelOptions<O extends SymbolicTensor | SymbolicTensor[]> {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: O;
  name?: string;
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
  private compiled: Compiled | null = null;

  /** Names of the outputs (their layers' names), used for per-output losses, metrics and logs. */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.node.layer.name);
  }

  /** Sets the optimizer, the loss (per output) and the metrics used by fit and evaluate. */
  compile(args: CompileArgs): void {
    if (!args || typeof args !== 'object') throw new ConfigError('compile: expected { optimizer, loss, metrics? }');
    checkOptions('compile', args, ['optimizer', 'loss', 'metrics', 'lossWeights']);
    if (args.optimizer === undefined) throw new ConfigError('compile: optimizer is required');
    if (args.loss === undefined) throw new ConfigError('compile: loss is required');
    const names = this.outputNames;
    const losses = perOutput<LossIdentifier>('loss', args.loss as never, names, undefined as never).map((l, i) => {
      if (l === undefined) throw new ConfigError(`compile: no loss for output '${names[i]}'`);
      return resolveLoss(l);
    });
    const lossWeights = perOutput<number>('lossWeights', args.lossWeights as never, names, 1);
    const metricIds = Array.isArray(args.metrics)
      ? names.map(() => args.metrics as MetricIdentifier[])
      : perOutput<MetricIdentifier | MetricIdentifier[]>('metrics', args.metrics as never, names, []).map((m) =>
          Array.isArray(m) ? m : m === undefined ? [] : [m],
        );
    const metrics = metricIds.map((ids, i) => {
      const units = this.outputs[i].shape[this.outputs[i].shape.length - 1] ?? null;
      return ids.map((id) => resolveMetric(id, losses[i], units));
    });
    this.compiled = { args, losses, lossWeights, metrics, optimizer: null };
  }

  /** Whether compile has been called. */
  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The compile arguments (for saving the training config). */
  get compileArgs(): CompileArgs | null {
    return this.compiled?.args ?? null;
  }

  /** The optimizer compile asked for, bound to the current trainable weights (made on first use). */
  get optimizer(): Optimizer {
    const c = this.requireCompiled('optimizer');
    const params = this.trainableParameters();
    if (
      !c.optimizer ||
      c.optimizer.params.length !== params.length ||
      c.optimizer.params.some((p, i) => p !== params[i])
    ) {
      c.optimizer?.dispose();
      if (params.length === 0) throw new ConfigError(`${this.name}: the model has no trainable weights`);
      c.optimizer = makeOptimizer(c.args.optimizer, params as Parameter[]);
    }
    return c.optimizer;
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled)
      throw new ConfigError(`${this.name}.${what}: compile the model first (model.compile({ optimizer, loss }))`);
    return this.compiled;
  }

  /** The logged names of losses and metrics, in evaluate's order. */
  get metricsNames(): string[] {
    const c = this.requireCompiled('metricsNames');
    const multi = this.outputs.length > 1;
    const names = ['loss'];
    if (multi) names.push(...this.outputNames.map((n) => `${n}_loss`));
    c.metrics.forEach((ms, i) => {
      for (const m of ms) names.push(multi ? `${this.outputNames[i]}_${m.name}` : m.name);
    });
    return names;
  }

  // ---------------------------------------------------------------- predict

  /**
   * Runs the model in inference mode (dropout off) in batches of `batchSize` (default 32) and
   * returns the outputs: one tensor, or a list for a model with several outputs.
   */
  predict(x: DataInput, args: { batchSize?: number; verbose?: 0 | 1 } = {}): Prediction<O> {
    checkOptions(`${this.name}.predict`, args, ['batchSize', 'verbose']);
    const { tensors, owned } = toTensors('inputs', x, this.inputs);
    try {
      const n = tensors[0].shape[0];
      const batchSize = args.batchSize ?? 32;
      if (!Number.isInteger(batchSize) || batchSize <= 0)
        throw new ConfigError(`predict: batchSize must be a positive integer, got ${batchSize}`);
      const results: Tensor[][] = [];
      try {
        for (let start = 0; start < n; start += batchSize) {
          const end = Math.min(n, start + batchSize);
          const part = n <= batchSize ? tensors : rows(tensors, start, end);
          try {
            results.push(noGrad(() => this.run(part, [], false).outputs));
          } finally {
            if (part !== tensors) dispose(part);
          }
        }
        const joined = tidy(() => joinBatches(results));
        return (this.multiOutput ? joined : joined[0]) as Prediction<O>;
      } finally {
        if (results.length > 1) dispose(results);
      }
    } finally {
      dispose(owned);
    }
  }

  /** One forward pass in inference mode on one batch. */
  predictOnBatch(x: DataInput): Prediction<O> {
    const { tensors, owned } = toTensors('inputs', x, this.inputs);
    try {
      const outs = noGrad(() => this.run(tensors, [], false).outputs);
      return (this.multiOutput ? outs : outs[0]) as Prediction<O>;
    } finally {
      dispose(owned);
    }
  }

  /** Clears the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const l of this.layers) {
      const r = l as { resetStates?: () => void };
      if (typeof r.resetStates === 'function') r.resetStates();
    }
  }

  // ---------------------------------------------------------------- losses and metrics

  /** Per-sample weights from classWeight (by each target's class) times sampleWeight. */
  private sampleWeights(
    ys: Tensor[],
    args: { classWeight?: Record<number, number>; sampleWeight?: ArrayInput },
  ): Float64Array | null {
    if (!args.classWeight && args.sampleWeight === undefined) return null;
    const n = ys[0].shape[0];
    const w = new Float64Array(n).fill(1);
    if (args.sampleWeight !== undefined) {
      const t = toTensor(args.sampleWeight, 'sampleWeight');
      try {
        const v = t.dataSync();
        if (v.length !== n) throw new ShapeError(`fit: sampleWeight has ${v.length} values for ${n} samples`);
        for (let i = 0; i < n; i++) w[i] = Number(v[i]);
      } finally {
        if (t !== args.sampleWeight) t.dispose();
      }
    }
    if (args.classWeight) {
      if (ys.length !== 1) throw new ConfigError('fit: classWeight is for models with one output; use sampleWeight');
      const y = ys[0];
      if (y.rank > 2)
        throw new ConfigError(
          `fit: classWeight needs targets of rank ≤ 2, got ${formatShape(y.shape)}; use sampleWeight`,
        );
      const v = y.dataSync();
      const per = y.size / n;
      for (let i = 0; i < n; i++) {
        let cls: number;
        if (per === 1) cls = Math.round(Number(v[i]));
        else {
          cls = 0;
          for (let c = 1; c < per; c++) if (v[i * per + c] > v[i * per + cls]) cls = c;
        }
        const cw = args.classWeight[cls];
        w[i] *= cw === undefined ? 1 : cw;
      }
    }
    return w;
  }

  /** The weighted (and masked) mean of per-sample losses: Keras' sum_over_batch_size. */
  private reduceLoss(per: Tensor, weights: Tensor | null, mask: Tensor | null): Tensor {
    return tidy(() => {
      let v = per;
      if (weights) v = mul(v, reshape(cast(weights, per.dtype), [per.shape[0], ...per.shape.slice(1).map(() => 1)]));
      if (mask && mask.shape.join() === per.shape.join()) {
        const m = cast(mask, per.dtype);
        return mul(sum(mul(v, m)), 1 / Math.max(1, sum(m).item()));
      }
      return mean(v);
    });
  }

  /** One weight per per-sample value, for the metrics: sample weights broadcast, times the mask. */
  private metricWeights(perShape: readonly number[], weights: Tensor | null, mask: Tensor | null): Float64Array | null {
    if (!weights && !mask) return null;
    const size = perShape.reduce((a, b) => a * b, 1);
    const out = new Float64Array(size).fill(1);
    if (weights) {
      const w = weights.dataSync();
      const per = size / w.length;
      for (let i = 0; i < size; i++) out[i] *= Number(w[Math.floor(i / per)]);
    }
    if (mask && mask.size === size) {
      const m = mask.dataSync();
      for (let i = 0; i < size; i++) out[i] *= m[i] ? 1 : 0;
    }
    return out;
  }

  /**
   * The total loss of a batch (a tensor, inside the gradient tape when training) and its logs:
   * total and per-output losses, and each metric's batch value.
   */
  private batchLoss(batch: Batch, training: boolean): { loss: Tensor; logs: Logs } {
    const c = this.requireCompiled('fit');
    const { outputs, masks } = this.run(batch.xs, [], training);
    const logs: Logs = {};
    const multi = outputs.length > 1;
    let total: Tensor | null = null;
    outputs.forEach((yPred, i) => {
      const yTrue = batch.ys[i];
      const per = c.losses[i].fn(yTrue, yPred);
      const l = this.reduceLoss(per, batch.weights, masks[i]);
      if (multi) logs[`${this.outputNames[i]}_loss`] = l.item();
      const scaled = c.lossWeights[i] === 1 ? l : mul(l, c.lossWeights[i]);
      total = total ? add(total, scaled) : scaled;
      const mw = this.metricWeights(per.shape, batch.weights, masks[i]);
      for (const m of c.metrics[i])
        logs[multi ? `${this.outputNames[i]}_${m.name}` : m.name] = m.update(yTrue, yPred, mw);
    });
    const loss = total as unknown as Tensor;
    return { loss, logs: { loss: loss.item(), ...logs } };
  }

  private resetMetrics(): void {
    for (const ms of this.requireCompiled('metrics').metrics) for (const m of ms) m.reset();
  }

  /** Running values of the stateful (non-mean) metrics, keyed as in the logs. */
  private statefulResults(prefix = ''): Logs {
    const c = this.requireCompiled('metrics');
    const multi = this.outputs.length > 1;
    const out: Logs = {};
    c.metrics.forEach((ms, i) => {
      for (const m of ms)
        if (!m.isMean) out[`${prefix}${multi ? `${this.outputNames[i]}_${m.name}` : m.name}`] = m.result();
    });
    return out;
  }

  private isMeanKey(key: string): boolean {
    const c = this.requireCompiled('metrics');
    const multi = this.outputs.length > 1;
    let mean = true;
    c.metrics.forEach((ms, i) => {
      for (const m of ms) if ((multi ? `${this.outputNames[i]}_${m.name}` : m.name) === key) mean = m.isMean;
    });
    return mean;
  }

  // ---------------------------------------------------------------- data

  private makeBatches(
    data: { xs: Tensor[]; ys: Tensor[]; weights: Float64Array | null },
    indices: Int32Array,
    batchSize: number,
    contiguous: boolean,
  ): Batch[] {
    const out: Batch[] = [];
    for (let s = 0; s < indices.length; s += batchSize) {
      const e = Math.min(indices.length, s + batchSize);
      const idx = indices.subarray(s, e);
      const xs = contiguous ? rows(data.xs, idx[0], idx[0] + idx.length) : pick(data.xs, idx);
      const ys = contiguous ? rows(data.ys, idx[0], idx[0] + idx.length) : pick(data.ys, idx);
      const weights = data.weights ? tensor(Float32Array.from(idx, (i) => data.weights?.[i] ?? 1)) : null;
      out.push({ xs, ys, weights, size: idx.length, owned: [...xs, ...ys, ...(weights ? [weights] : [])] });
    }
    return out;
  }

  /** Lazily slices batches so only one batch's copies are alive at a time. */
  private *batchesOf(
    data: { xs: Tensor[]; ys: Tensor[]; weights: Float64Array | null },
    indices: Int32Array,
    batchSize: number,
    contiguous: boolean,
  ): Generator<Batch> {
    for (let s = 0; s < indices.length; s += batchSize) {
      const [b] = this.makeBatches(
        data,
        indices.subarray(s, Math.min(indices.length, s + batchSize)),
        batchSize,
        contiguous,
      );
      yield b;
    }
  }

  private async *sourceBatches(source: BatchSource, limit?: number): AsyncGenerator<Batch> {
    let count = 0;
    for await (const item of source as AsyncIterable<DataBatch | [DataInput, DataInput]>) {
      if (limit !== undefined && count >= limit) break;
      const b = Array.isArray(item) ? { xs: item[0], ys: item[1] } : item;
      if (!b || b.xs === undefined || b.ys === undefined) {
        throw new ConfigError(
          `fit: each batch should be [x, y] or { xs, ys, sampleWeight? }, got ${JSON.stringify(Object.keys(b ?? {}))}`,
        );
      }
      const x = toTensors('inputs', b.xs, this.inputs);
      const y = toTensors(
        'targets',
        b.ys,
        this.outputs,
        this.outputs.map(() => 'float32'),
      );
      const w = this.sampleWeights(y.tensors, { sampleWeight: b.sampleWeight });
      const weights = w ? tensor(Float32Array.from(w)) : null;
      count++;
      yield {
        xs: x.tensors,
        ys: y.tensors,
        weights,
        size: x.tensors[0].shape[0],
        owned: [...x.owned, ...y.owned, ...(weights ? [weights] : [])],
      };
    }
  }

  // ---------------------------------------------------------------- fit

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
    const isSource = isBatchSource(x);
    const args: FitArgs = (isSource ? (yOrArgs as FitArgs) : maybeArgs) ?? {};
    checkOptions(`${this.name}.fit`, args, [
      'epochs',
      'batchSize',
      'verbose',
      'validationSplit',
      'validationData',
      'validationBatchSize',
      'shuffle',
      'seed',
      'classWeight',
      'sampleWeight',
      'callbacks',
      'initialEpoch',
      'stepsPerEpoch',
      'clipGradNorm',
    ]);
    this.requireCompiled('fit');
    const epochs = args.epochs ?? 1;
    const initialEpoch = args.initialEpoch ?? 0;
    const batchSize = args.batchSize ?? 32;
    for (const [k, v] of [
      ['epochs', epochs],
      ['batchSize', batchSize],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`fit: ${k} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
      throw new ConfigError(`fit: initialEpoch must be an integer in [0, epochs), got ${initialEpoch}`);
    }
    const owned: Tensor[] = [];
    try {
      let trainData: { xs: Tensor[]; ys: Tensor[]; weights: Float64Array | null } | null = null;
      let valData: { xs: Tensor[]; ys: Tensor[]; weights: Float64Array | null } | null = null;
      let samples: number | undefined;
      if (!isSource) {
        const xt = toTensors('inputs', x as DataInput, this.inputs);
        const yt = toTensors(
          'targets',
          yOrArgs as DataInput,
          this.outputs,
          this.outputs.map(() => 'float32'),
        );
        owned.push(...xt.owned, ...yt.owned);
        const n = xt.tensors[0].shape[0];
        if (yt.tensors[0].shape[0] !== n) {
          throw new ShapeError(`fit: ${n} input samples but ${yt.tensors[0].shape[0]} target samples`);
        }
        const weights = this.sampleWeights(yt.tensors, args);
        let split = n;
        if (args.validationSplit !== undefined) {
          const v = args.validationSplit;
          if (!(v > 0 && v < 1)) throw new ConfigError(`fit: validationSplit must be in (0, 1), got ${v}`);
          // Keras: the last fraction, before any shuffling.
          split = Math.floor(n * (1 - v));
          if (split === 0 || split === n)
            throw new ConfigError(`fit: validationSplit ${v} of ${n} samples leaves an empty split`);
          const vx = rows(xt.tensors, split, n);
          const vy = rows(yt.tensors, split, n);
          owned.push(...vx, ...vy);
          valData = { xs: vx, ys: vy, weights: weights ? weights.slice(split) : null };
          const tx = rows(xt.tensors, 0, split);
          const ty = rows(yt.tensors, 0, split);
          owned.push(...tx, ...ty);
          trainData = { xs: tx, ys: ty, weights: weights ? weights.slice(0, split) : null };
        } else {
          trainData = { xs: xt.tensors, ys: yt.tensors, weights };
        }
        samples = split;
      }
      if (args.validationData) {
        const [vxIn, vyIn, vw] = args.validationData;
        const vx = toTensors('validation inputs', vxIn, this.inputs);
        const vy = toTensors(
          'validation targets',
          vyIn,
          this.outputs,
          this.outputs.map(() => 'float32'),
        );
        owned.push(...vx.owned, ...vy.owned);
        valData = { xs: vx.tensors, ys: vy.tensors, weights: this.sampleWeights(vy.tensors, { sampleWeight: vw }) };
      }
      const steps = trainData ? Math.ceil((samples as number) / batchSize) : args.stepsPerEpoch;
      const verbose = args.verbose ?? 1;
      const callbacks: Callback[] = [...toCallbacks(args.callbacks), ...(verbose ? [new ProgressLogger(verbose)] : [])];
      const params: FitParams = { epochs, steps, samples, batchSize, verbose, metrics: this.metricsNames };
      const history: History = { epoch: [], history: {}, params };
      for (const cb of callbacks) {
        cb.setModel?.(this as never);
        cb.setParams?.(params);
      }
      this.stopTraining = false;
      for (const cb of callbacks) await cb.onTrainBegin?.({});
      const rng = args.seed !== undefined ? new Rng(args.seed) : defaultRng();
      let epochMeans = new EpochMeans();
      let current: Batch | null = null;
      let currentLogs: Logs = {};
      let batchIndex = 0;
      const epochBatches = (e: number): Iterable<Batch> | AsyncIterable<Batch> => {
        batchIndex = 0;
        const wrap = async function* (inner: Iterable<Batch> | AsyncIterable<Batch>) {
          for await (const b of inner) {
            current = b;
            for (const cb of callbacks) await cb.onBatchBegin?.(batchIndex, { batch: batchIndex, size: b.size });
            yield b;
          }
        };
        if (trainData) {
          const n = samples as number;
          const order = Int32Array.from({ length: n }, (_, i) => i);
          const shuffle = args.shuffle ?? true;
          if (shuffle) {
            const list = Array.from(order);
            shuffleInPlace(list, rng);
            order.set(list);
          }
          void e;
          return wrap(this.batchesOf(trainData, order, batchSize, !shuffle));
        }
        return wrap(this.sourceBatches(x as BatchSource, args.stepsPerEpoch));
      };
      await trainFit<Batch>({
        model: this,
        optimizer: this.optimizer,
        epochs: epochs - initialEpoch,
        batchesPerEpoch: steps,
        clipGradNorm: args.clipGradNorm,
        train: (e) => epochBatches(initialEpoch + e),
        loss: (batch): StepResult => {
          const { loss, logs } = this.batchLoss(batch, true);
          currentLogs = logs;
          return { loss, count: batch.size };
        },
        callbacks: [
          {
            onEpochBegin: async (e) => {
              this.resetMetrics();
              epochMeans = new EpochMeans();
              for (const cb of callbacks) await cb.onEpochBegin?.(initialEpoch + e, {});
            },
            onBatchEnd: async () => {
              const b = current as Batch | null;
              const size = b?.size ?? 0;
              const means: Logs = {};
              for (const [k, v] of Object.entries(currentLogs)) if (this.isMeanKey(k)) means[k] = v;
              epochMeans.add(means, size);
              if (b) dispose(b.owned);
              current = null;
              const logs = { batch: batchIndex, size, ...currentLogs };
              for (const cb of callbacks) await cb.onBatchEnd?.(batchIndex, logs);
              batchIndex++;
            },
            onEpochEnd: async (l) => {
              const epoch = initialEpoch + l.epoch;
              if (epochMeans.samples === 0) {
                throw new ConfigError(
                  `fit: epoch ${epoch} had no batches; a batch source must be iterable again every epoch (an array, or an object whose [Symbol.asyncIterator] starts over)`,
                );
              }
              const logs: Logs = { ...epochMeans.means(), ...this.statefulResults() };
              if (valData)
                Object.assign(logs, this.evaluateData(valData, args.validationBatchSize ?? batchSize, 'val_'));
              history.epoch.push(epoch);
              for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
              for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
              return this.stopTraining ? 'stop' : undefined;
            },
          },
        ],
      });
      for (const cb of callbacks) await cb.onTrainEnd?.({});
      return history;
    } finally {
      dispose(owned);
    }
  }

  /**
   * One optimizer step on one batch (Keras' train_on_batch); returns the loss, or [loss,
   * ...metrics] when metrics were compiled (the batch's values, before the update).
   */
  async trainOnBatch(
    x: DataInput,
    y: DataInput,
    args: { sampleWeight?: ArrayInput; classWeight?: Record<number, number> } = {},
  ): Promise<number | number[]> {
    this.requireCompiled('trainOnBatch');
    const xt = toTensors('inputs', x, this.inputs);
    const yt = toTensors(
      'targets',
      y,
      this.outputs,
      this.outputs.map(() => 'float32'),
    );
    const w = this.sampleWeights(yt.tensors, args);
    const weights = w ? tensor(Float32Array.from(w)) : null;
    const batch: Batch = { xs: xt.tensors, ys: yt.tensors, weights, size: xt.tensors[0].shape[0], owned: [] };
    let logs: Logs = {};
    try {
      this.resetMetrics();
      await trainFit<Batch>({
        model: this,
        optimizer: this.optimizer,
        epochs: 1,
        train: () => [batch],
        loss: (b) => {
          const r = this.batchLoss(b, true);
          logs = r.logs;
          return { loss: r.loss, count: b.size };
        },
      });
    } finally {
      dispose([...xt.owned, ...yt.owned, ...(weights ? [weights] : [])]);
    }
    const values = this.metricsNames.map((n) => logs[n]);
    return values.length === 1 ? values[0] : values;
  }

  /** Loss and metrics over data in batches, without gradients (the validation pass and evaluate). */
  private evaluateData(
    data: { xs: Tensor[]; ys: Tensor[]; weights: Float64Array | null },
    batchSize: number,
    prefix = '',
  ): Logs {
    this.resetMetrics();
    const means = new EvaluationMeans();
    const n = data.xs[0].shape[0];
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (const b of this.batchesOf(data, order, batchSize, true)) {
      try {
        const logs = noGrad(() => tidy(() => this.batchLoss(b, false).logs));
        const m: Logs = {};
        for (const [k, v] of Object.entries(logs)) if (this.isMeanKey(k)) m[k] = v;
        means.add(m, b.size);
      } finally {
        dispose(b.owned);
      }
    }
    const out: Logs = {};
    for (const [k, v] of Object.entries({ ...means.means(), ...this.statefulResults() })) out[`${prefix}${k}`] = v;
    return out;
  }

  /** Loss (and metrics) on x, y in inference mode: a number, a list in metricsNames order, or a dict. */
  evaluate(x: DataInput, y: DataInput, args: EvaluateArgs = {}): number | number[] | Logs {
    checkOptions(`${this.name}.evaluate`, args, ['batchSize', 'verbose', 'sampleWeight', 'returnDict']);
    this.requireCompiled('evaluate');
    const xt = toTensors('inputs', x, this.inputs);
    const yt = toTensors(
      'targets',
      y,
      this.outputs,
      this.outputs.map(() => 'float32'),
    );
    try {
      const logs = this.evaluateData(
        { xs: xt.tensors, ys: yt.tensors, weights: this.sampleWeights(yt.tensors, args) },
        args.batchSize ?? 32,
      );
      if (args.returnDict) return logs;
      const values = this.metricsNames.map((n) => logs[n]);
      return values.length === 1 ? values[0] : values;
    } finally {
      dispose([...xt.owned, ...yt.owned]);
    }
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
    this.compiled?.optimizer?.dispose();
    super.dispose();
  }
}

function isBatchSource(x: unknown): x is BatchSource {
  if (!x || typeof x !== 'object') return false;
  if (Symbol.asyncIterator in x) return true;
  // An array of [x, y] pairs or { xs, ys } objects.
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every(
      (b) =>
        (b && typeof b === 'object' && 'xs' in b && 'ys' in b) ||
        (Array.isArray(b) && b.length === 2 && !b.every((v) => typeof v === 'number') && isTensorLike(b[0])),
    ) &&
    !x.every(isTensorLike)
  );
}

function isTensorLike(v: unknown): boolean {
  return !!v && typeof v === 'object' && 'shape' in (v as object) && 'dtype' in (v as object);
}

export type { SymbolicTensor };
