import { checkOptions } from '@recur/layers';
import {
  add,
  ConfigError,
  cast,
  div,
  maximum,
  mean,
  mul,
  reshape,
  sum,
  type Tensor,
  tensor,
  tidy,
} from '@recur/tensor';
import type { Logs, StepOutcome, StepResult } from '@recur/train';
import { type LossIdentifier, type LossSpec, resolveLoss } from '../compile/losses';
import { type HostTensor, type Metric, type MetricIdentifier, resolveMetric } from '../compile/metrics';
import type { OptimizerIdentifier } from '../compile/optimizers';
import type { SymbolicTensor } from '../engine/symbolic';

/*
 * Keras' compile utilities (trainers/compile_utils.py): what `compile` resolves (a loss, a loss
 * weight and metrics per output), the batch's total loss as tensors inside the training step,
 * and the metrics, updated on the host from the batch's values read after the step.
 */

/** What `compile` takes (Keras' compile arguments, camelCased). */
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

/** What compile resolved, per output. */
export interface Compiled {
  /** The arguments compile was given. */
  args: CompileArgs;
  /** The outputs' names (their layers'), for per-output keys. */
  names: string[];
  /** Each output's loss. */
  losses: LossSpec[];
  /** Each output's weight in the total loss. */
  lossWeights: number[];
  /** Each output's metrics. */
  metrics: Metric[][];
}

/** A batch's tensors: inputs, targets, and per-sample weights (host values) when given. */
export interface BatchData {
  xs: Tensor[];
  ys: Tensor[];
  weights: Float64Array | null;
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

/** Resolves compile's arguments for a model with these outputs (Keras' and tfjs' spellings of each). */
export function compileArgs(args: CompileArgs, outputs: readonly SymbolicTensor[]): Compiled {
  if (!args || typeof args !== 'object') throw new ConfigError('compile: expected { optimizer, loss, metrics? }');
  checkOptions('compile', args, ['optimizer', 'loss', 'metrics', 'lossWeights']);
  if (args.optimizer === undefined) throw new ConfigError('compile: optimizer is required');
  if (args.loss === undefined) throw new ConfigError('compile: loss is required');
  const names = outputs.map((t) => t.node.layer.name);
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
    const units = outputs[i].shape[outputs[i].shape.length - 1] ?? null;
    return ids.map((id) => resolveMetric(id, losses[i], units));
  });
  return { args, names, losses, lossWeights, metrics };
}

/** The key a metric (or an output's loss) is logged under: prefixed by the output's name when there are several. */
function key(c: Compiled, output: number, name: string): string {
  return c.names.length > 1 ? `${c.names[output]}_${name}` : name;
}

/** The logged names of losses and metrics, in evaluate's order. */
export function metricsNames(c: Compiled): string[] {
  const names = ['loss'];
  if (c.names.length > 1) names.push(...c.names.map((n) => `${n}_loss`));
  c.metrics.forEach((ms, i) => {
    for (const m of ms) names.push(key(c, i, m.name));
  });
  return names;
}

/** Whether a logged name averages per-sample values over the epoch (losses, accuracies) or is a stateful metric's result. */
export function isMeanKey(c: Compiled, name: string): boolean {
  let isMean = true;
  c.metrics.forEach((ms, i) => {
    for (const m of ms) if (key(c, i, m.name) === name) isMean = m.isMean;
  });
  return isMean;
}

export function resetMetrics(c: Compiled): void {
  for (const ms of c.metrics) for (const m of ms) m.reset();
}

/** Running values of the stateful (non-mean) metrics, keyed as in the logs. */
export function statefulResults(c: Compiled, prefix = ''): Logs {
  const out: Logs = {};
  c.metrics.forEach((ms, i) => {
    for (const m of ms) if (!m.isMean) out[`${prefix}${key(c, i, m.name)}`] = m.result();
  });
  return out;
}

/** The weighted (and masked) mean of per-sample losses: Keras' sum_over_batch_size. */
function reduceLoss(per: Tensor, weights: Tensor | null, mask: Tensor | null): Tensor {
  return tidy(() => {
    let v = per;
    if (weights) v = mul(v, reshape(cast(weights, per.dtype), [per.shape[0], ...per.shape.slice(1).map(() => 1)]));
    if (mask && mask.shape.join() === per.shape.join()) {
      const m = cast(mask, per.dtype);
      // Σ v·m times 1 / max(1, Σ m), on the device: no read in the step.
      return mul(sum(mul(v, m)), div(1, maximum(sum(m), 1)));
    }
    return mean(v);
  });
}

/**
 * A batch's total loss (a tensor, inside the gradient tape when training) as a StepResult: the
 * per-output losses to log, and what the metrics read after the step (targets, predictions,
 * masks, and what a metric computes on the device).
 */
export function batchLoss(
  c: Compiled,
  batch: BatchData,
  outputs: Tensor[],
  masks: (Tensor | null)[],
): { result: StepResult; shapes: BatchShapes } {
  const multi = outputs.length > 1;
  const shapes: BatchShapes = { yTrue: [], yPred: [], per: [] };
  const weights = batch.weights ? tensor(Float32Array.from(batch.weights)) : null;
  const logs: Record<string, Tensor> = {};
  const read: Record<string, Tensor> = {};
  let total: Tensor | null = null;
  outputs.forEach((yPred, i) => {
    const yTrue = batch.ys[i];
    const per = c.losses[i].fn(yTrue, yPred);
    shapes.yTrue.push([...yTrue.shape]);
    shapes.yPred.push([...yPred.shape]);
    shapes.per.push([...per.shape]);
    const l = reduceLoss(per, weights, masks[i]);
    if (multi) logs[`${c.names[i]}_loss`] = l;
    const scaled = c.lossWeights[i] === 1 ? l : mul(l, c.lossWeights[i]);
    total = total ? add(total, scaled) : scaled;
    if (c.metrics[i].length) {
      read[`yTrue${i}`] = yTrue;
      read[`yPred${i}`] = yPred;
      if (masks[i] && masks[i]?.shape.join() === per.shape.join()) read[`mask${i}`] = masks[i] as Tensor;
      c.metrics[i].forEach((m, k) => {
        if (m.compute) read[`computed${i}_${k}`] = m.compute(yTrue, yPred);
      });
    }
  });
  return { result: { loss: total as unknown as Tensor, logs, read }, shapes };
}

/** The shapes of each output's targets, predictions and per-sample losses in a batch. */
export interface BatchShapes {
  yTrue: number[][];
  yPred: number[][];
  per: number[][];
}

/** One weight per per-sample value for the metrics: the sample weights (as float32, as the loss sees them) broadcast, times the mask. */
function metricWeights(
  size: number,
  weights: Float64Array | null,
  mask: ArrayLike<number> | undefined,
): Float64Array | null {
  if (!weights && !mask) return null;
  const out = new Float64Array(size).fill(1);
  if (weights) {
    const w = Float32Array.from(weights);
    const per = size / w.length;
    for (let i = 0; i < size; i++) out[i] *= w[Math.floor(i / per)];
  }
  if (mask && mask.length === size) for (let i = 0; i < size; i++) out[i] *= mask[i] ? 1 : 0;
  return out;
}

/**
 * The batch's logs: the total and per-output losses, and each metric updated from the values read
 * after the step (`batchLoss`'s `read`) — the batch's own values, as tfjs logs them per batch.
 */
export function batchLogs(c: Compiled, outcome: StepOutcome, batch: BatchData, shapes: BatchShapes): Logs {
  const logs: Logs = { loss: outcome.loss, ...outcome.logs };
  const v = outcome.values;
  c.metrics.forEach((ms, i) => {
    if (!ms.length) return;
    const yTrue: HostTensor = { values: v[`yTrue${i}`], shape: shapes.yTrue[i] };
    const yPred: HostTensor = { values: v[`yPred${i}`], shape: shapes.yPred[i] };
    const size = shapes.per[i].reduce((a, b) => a * b, 1);
    const w = metricWeights(size, batch.weights, v[`mask${i}`]);
    ms.forEach((m, k) => {
      const computed = v[`computed${i}_${k}`];
      logs[key(c, i, m.name)] = m.update(yTrue, yPred, w, computed && { values: computed, shape: shapes.per[i] });
    });
  });
  return logs;
}
