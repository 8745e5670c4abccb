import { noGrad } from '@recur/autograd';
import { checkOptions } from '@recur/layers';
import { ConfigError, defaultRng, dispose, Rng, ShapeError, type Tensor, tidy } from '@recur/tensor';
import {
  type Callback,
  callbackList,
  type EpochAggregator,
  evalStep,
  type FitParams,
  type History,
  type Logs,
  type Optimizer,
  trainLoop,
  trainStep,
} from '@recur/train';
import type { Functional } from '../engine/functional';
import type { ArrayInput } from '../engine/layer';
import {
  type BatchData,
  type BatchShapes,
  batchLogs,
  batchLoss,
  type Compiled,
  isMeanKey,
  metricsNames,
  resetMetrics,
  statefulResults,
} from './compile-utils';
import {
  type ArrayData,
  arrayBatches,
  type Batch,
  type BatchSource,
  type DataInput,
  isBatchSource,
  joinBatches,
  rows,
  sampleWeights,
  toTensors,
} from './data-adapter';
import { EpochIterator } from './epoch-iterator';
import { EpochMeans, EvaluationMeans } from './epoch-means';
import { ProgressLogger } from './progress';

/*
 * Keras' trainer (trainers/trainer.py): fit, evaluate and train_on_batch of a compiled model, on
 * @recur/train's one training step and one loop, with Keras' batch and epoch logs.
 */

/** What the trainer needs of a model. */
export interface TrainableModel extends Functional {
  readonly compiled: Compiled;
  readonly optimizer: Optimizer;
  stopTraining: boolean;
}

/** What `fit` takes besides x and y (Keras' fit arguments, camelCased). */
export interface FitArgs {
  /** Epochs to train (default 1). */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 a progress bar in a Node terminal (one line per epoch elsewhere), 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  /** The last fraction of the samples, taken before shuffling, is held out for validation. */
  validationSplit?: number;
  /** [x, y] (or [x, y, sampleWeight]) to validate on after each epoch. */
  validationData?: [DataInput, DataInput] | [DataInput, DataInput, ArrayInput];
  /** Batch size for validation (default batchSize). */
  validationBatchSize?: number;
  /** Shuffle the training samples each epoch (default true). */
  shuffle?: boolean;
  /** Seed for the shuffles (default: recur's global generator, see manualSeed). */
  seed?: number;
  /** A weight per class id, applied to each sample's loss. */
  classWeight?: Record<number, number>;
  /** A weight per sample. */
  sampleWeight?: ArrayInput;
  /** Callbacks (Keras' protocol): EarlyStopping, ModelCheckpoint, your own. */
  callbacks?: Callback | Callback[];
  /** Epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** For batch sources: batches per epoch, if the source does not end. */
  stepsPerEpoch?: number;
  /** Clip the global gradient norm before each update (PyTorch's clip_grad_norm_). */
  clipGradNorm?: number;
}

const FIT_KEYS = [
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
] as const;

/** One step's loss closure on a batch: runs the model, returns the batch loss; `shapes` keeps what batchLogs needs. */
function stepLoss(model: TrainableModel, batch: BatchData, training: boolean, shapes: { value?: BatchShapes }) {
  return () => {
    const { outputs, masks } = model.run(batch.xs, [], training);
    const b = batchLoss(model.compiled, batch, outputs, masks);
    shapes.value = b.shapes;
    return b.result;
  };
}

/** One training step on a batch (the one training step of @recur/train); returns the batch's Keras logs. */
async function trainBatch(model: TrainableModel, batch: BatchData, clipGradNorm?: number): Promise<Logs> {
  const shapes: { value?: BatchShapes } = {};
  const outcome = await trainStep({
    optimizer: model.optimizer,
    loss: stepLoss(model, batch, true, shapes),
    clipGradNorm,
  });
  return batchLogs(model.compiled, outcome, batch, shapes.value as BatchShapes);
}

/** The batch logs of a step without gradients (evaluate, validation). */
async function evalBatch(model: TrainableModel, batch: BatchData): Promise<Logs> {
  const shapes: { value?: BatchShapes } = {};
  const outcome = await evalStep(stepLoss(model, batch, false, shapes));
  return batchLogs(model.compiled, outcome, batch, shapes.value as BatchShapes);
}

/**
 * Keras' epoch logs: per-sample means in float32 as tfjs' BaseLogger computes them, and the
 * stateful metrics. A step's Keras batch logs arrive as its outcome's logs.
 */
function kerasEpoch(model: TrainableModel): EpochAggregator & { samples: number } {
  const c = model.compiled;
  resetMetrics(c);
  const means = new EpochMeans();
  return {
    add(outcome, size) {
      const logs = outcome.logs;
      const m: Logs = {};
      for (const [k, v] of Object.entries(logs)) if (isMeanKey(c, k)) m[k] = v;
      means.add(m, size);
      return logs;
    },
    result() {
      return { ...means.means(), ...statefulResults(c) };
    },
    get samples() {
      return means.samples;
    },
  };
}

/** Loss and metrics over data in batches, without gradients (the validation pass and evaluate). */
export async function evaluateData(
  model: TrainableModel,
  data: ArrayData,
  batchSize: number,
  prefix = '',
): Promise<Logs> {
  const c = model.compiled;
  resetMetrics(c);
  const means = new EvaluationMeans();
  const n = data.xs[0].shape[0];
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (const b of arrayBatches(data, order, batchSize, true)) {
    try {
      const logs = await evalBatch(model, b);
      const m: Logs = {};
      for (const [k, v] of Object.entries(logs)) if (isMeanKey(c, k)) m[k] = v;
      means.add(m, b.size);
    } finally {
      dispose(b.owned);
    }
  }
  const out: Logs = {};
  for (const [k, v] of Object.entries({ ...means.means(), ...statefulResults(c) })) out[`${prefix}${k}`] = v;
  return out;
}

/** Arrays (or a batch source) as the epochs' batches, and the validation data. */
function prepare(
  model: TrainableModel,
  x: DataInput | BatchSource,
  y: DataInput | undefined,
  args: FitArgs,
  owned: Tensor[],
) {
  let iterator: EpochIterator;
  let validation: ArrayData | null = null;
  let samples: number | undefined;
  const batchSize = args.batchSize ?? 32;
  if (isBatchSource(x)) {
    iterator = new EpochIterator({
      source: x,
      inputs: model.inputs,
      outputs: model.outputs,
      steps: args.stepsPerEpoch,
    });
  } else {
    const xt = toTensors('inputs', x as DataInput, model.inputs);
    const yt = toTensors(
      'targets',
      y as DataInput,
      model.outputs,
      model.outputs.map(() => 'float32'),
    );
    owned.push(...xt.owned, ...yt.owned);
    const n = xt.tensors[0].shape[0];
    if (yt.tensors[0].shape[0] !== n) {
      throw new ShapeError(`fit: ${n} input samples but ${yt.tensors[0].shape[0]} target samples`);
    }
    const weights = sampleWeights(yt.tensors, args);
    let train: ArrayData = { xs: xt.tensors, ys: yt.tensors, weights };
    samples = n;
    if (args.validationSplit !== undefined) {
      const v = args.validationSplit;
      if (!(v > 0 && v < 1)) throw new ConfigError(`fit: validationSplit must be in (0, 1), got ${v}`);
      // Keras: the last fraction, before any shuffling.
      const split = Math.floor(n * (1 - v));
      if (split === 0 || split === n)
        throw new ConfigError(`fit: validationSplit ${v} of ${n} samples leaves an empty split`);
      const parts = [
        rows(xt.tensors, split, n),
        rows(yt.tensors, split, n),
        rows(xt.tensors, 0, split),
        rows(yt.tensors, 0, split),
      ];
      owned.push(...parts.flat());
      validation = { xs: parts[0], ys: parts[1], weights: weights ? weights.slice(split) : null };
      train = { xs: parts[2], ys: parts[3], weights: weights ? weights.slice(0, split) : null };
      samples = split;
    }
    const rng = args.seed !== undefined ? new Rng(args.seed) : defaultRng();
    iterator = new EpochIterator({ arrays: train, samples, batchSize, shuffle: args.shuffle ?? true, rng });
  }
  if (args.validationData) {
    const [vxIn, vyIn, vw] = args.validationData;
    const vx = toTensors('validation inputs', vxIn, model.inputs);
    const vy = toTensors(
      'validation targets',
      vyIn,
      model.outputs,
      model.outputs.map(() => 'float32'),
    );
    owned.push(...vx.owned, ...vy.owned);
    validation = { xs: vx.tensors, ys: vy.tensors, weights: sampleWeights(vy.tensors, { sampleWeight: vw }) };
  }
  return { iterator, validation, samples };
}

/**
 * Keras' fit: batches of `batchSize` (or a batch source), one training step each, the epoch's
 * per-sample mean loss and metrics, validation after each epoch, callbacks, a History.
 */
export async function fitModel(
  model: TrainableModel,
  x: DataInput | BatchSource,
  y: DataInput | undefined,
  args: FitArgs = {},
): Promise<History> {
  checkOptions(`${model.name}.fit`, args, FIT_KEYS);
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
    const { iterator, validation, samples } = prepare(model, x, y, args, owned);
    const verbose = args.verbose ?? 1;
    const callbacks: Callback[] = [...callbackList(args.callbacks), ...(verbose ? [new ProgressLogger(verbose)] : [])];
    const params: FitParams = {
      epochs,
      steps: iterator.steps,
      samples,
      batchSize,
      verbose,
      metrics: metricsNames(model.compiled),
    };
    let epochLogs: ReturnType<typeof kerasEpoch> | null = null;
    return await trainLoop<Batch>({
      model,
      epochs,
      initialEpoch,
      batches: () => iterator.batches(),
      sizeOf: (b) => b.size,
      step: async (b) => {
        try {
          const logs = await trainBatch(model, b, args.clipGradNorm);
          return { loss: logs.loss, count: b.size, logs, values: {}, skipped: false };
        } finally {
          dispose(b.owned);
        }
      },
      aggregate: () => {
        epochLogs = kerasEpoch(model);
        return epochLogs;
      },
      validate: async (epoch) => {
        if (epochLogs && epochLogs.samples === 0) {
          throw new ConfigError(
            `fit: epoch ${epoch} had no batches; a batch source must be iterable again every epoch (an array, or an object whose [Symbol.asyncIterator] starts over)`,
          );
        }
        return validation ? evaluateData(model, validation, args.validationBatchSize ?? batchSize, 'val_') : {};
      },
      callbacks,
      params,
    });
  } finally {
    dispose(owned);
  }
}

/** Keras' train_on_batch: one training step on one batch; the loss, or [loss, ...metrics] (the batch's values, before the update). */
export async function trainOnBatchModel(
  model: TrainableModel,
  x: DataInput,
  y: DataInput,
  args: { sampleWeight?: ArrayInput; classWeight?: Record<number, number> } = {},
): Promise<number | number[]> {
  const xt = toTensors('inputs', x, model.inputs);
  const yt = toTensors(
    'targets',
    y,
    model.outputs,
    model.outputs.map(() => 'float32'),
  );
  try {
    resetMetrics(model.compiled);
    model.train();
    const logs = await trainBatch(model, { xs: xt.tensors, ys: yt.tensors, weights: sampleWeights(yt.tensors, args) });
    const values = metricsNames(model.compiled).map((n) => logs[n]);
    return values.length === 1 ? values[0] : values;
  } finally {
    dispose([...xt.owned, ...yt.owned]);
  }
}

/** What `evaluate` takes besides x and y. */
export interface EvaluateArgs {
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 a progress line. */
  verbose?: 0 | 1;
  /** A weight per sample. */
  sampleWeight?: ArrayInput;
  /** Return { loss, accuracy, ... } instead of a number or a list. */
  returnDict?: boolean;
}

/** Keras' evaluate: loss and metrics in inference mode, read asynchronously; a number, a list in metricsNames order, or a dict. */
export async function evaluateModel(
  model: TrainableModel,
  x: DataInput,
  y: DataInput,
  args: EvaluateArgs = {},
): Promise<number | number[] | Logs> {
  checkOptions(`${model.name}.evaluate`, args, ['batchSize', 'verbose', 'sampleWeight', 'returnDict']);
  const xt = toTensors('inputs', x, model.inputs);
  const yt = toTensors(
    'targets',
    y,
    model.outputs,
    model.outputs.map(() => 'float32'),
  );
  try {
    const logs = await evaluateData(
      model,
      { xs: xt.tensors, ys: yt.tensors, weights: sampleWeights(yt.tensors, args) },
      args.batchSize ?? 32,
    );
    if (args.returnDict) return logs;
    const values = metricsNames(model.compiled).map((n) => logs[n]);
    return values.length === 1 ? values[0] : values;
  } finally {
    dispose([...xt.owned, ...yt.owned]);
  }
}

/** Runs the model's graph in inference mode on inputs, batch by batch, and joins the outputs. */
export function predictModel(model: Functional, x: DataInput, batchSize = 32): Tensor[] {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ConfigError(`predict: batchSize must be a positive integer, got ${batchSize}`);
  const { tensors, owned } = toTensors('inputs', x, model.inputs);
  try {
    const n = tensors[0].shape[0];
    const results: Tensor[][] = [];
    try {
      for (let start = 0; start < n; start += batchSize) {
        const part = n <= batchSize ? tensors : rows(tensors, start, Math.min(n, start + batchSize));
        try {
          results.push(noGrad(() => model.run(part, [], false).outputs));
        } finally {
          if (part !== tensors) dispose(part);
        }
      }
      return tidy(() => joinBatches(results));
    } finally {
      if (results.length > 1) dispose(results);
    }
  } finally {
    dispose(owned);
  }
}
