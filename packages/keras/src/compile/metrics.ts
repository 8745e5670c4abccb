import { ConfigError, formatShape, ShapeError, type Tensor } from '@recur/tensor';
import { type LossFn, type LossSpec, resolveLoss } from './losses';

/** A tensor's values read to the host, with its shape: what a metric updates from. */
export interface HostTensor {
  /** The values, row-major. */
  readonly values: ArrayLike<number>;
  /** Its shape. */
  readonly shape: readonly number[];
}

/**
 * A metric, accumulated on the host over an epoch (Keras' stateful metrics). The trainer reads a
 * batch's targets and predictions (or what `compute` makes of them on the device) asynchronously
 * after the step and hands them to `update`, which returns the batch's own value (what tfjs logs
 * per batch); `result` is the value over everything seen since `reset` (what Keras reports).
 */
export interface Metric {
  /** The key in the logs ('accuracy', 'acc', 'precision', ...). */
  readonly name: string;
  /** Means of per-sample values (accuracy, losses): the epoch value is the per-sample mean of batch values. */
  readonly isMean: boolean;
  /** Starts a new epoch. */
  reset(): void;
  /** Per-sample values made on the device from the batch (a loss used as a metric); absent: update reads the batch itself. */
  compute?(yTrue: Tensor, yPred: Tensor): Tensor;
  /**
   * `weights`: one weight per per-sample value (sample weights times the output mask), or null;
   * `computed`: what `compute` made, read.
   */
  update(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null, computed?: HostTensor): number;
  /** The value over everything updated since `reset`. */
  result(): number;
}

type Values = ArrayLike<number>;

/** A weighted mean of per-sample values (Keras' MeanMetricWrapper). */
class MeanMetric implements Metric {
  readonly isMean = true;
  private total = 0;
  private count = 0;

  constructor(
    readonly name: string,
    private readonly perSample: (yTrue: HostTensor, yPred: HostTensor, computed?: HostTensor) => Values,
    readonly compute?: (yTrue: Tensor, yPred: Tensor) => Tensor,
  ) {}

  reset(): void {
    this.total = 0;
    this.count = 0;
  }

  update(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null, computed?: HostTensor): number {
    const v = this.perSample(yTrue, yPred, computed);
    let t = 0;
    let c = 0;
    for (let i = 0; i < v.length; i++) {
      const w = weights ? weights[i] : 1;
      t += v[i] * w;
      c += w;
    }
    this.total += t;
    this.count += c;
    return c ? t / c : 0;
  }

  result(): number {
    return this.count ? this.total / this.count : 0;
  }
}

function argmaxRows(values: Values, classes: number): Int32Array {
  const rows = values.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

function checkSame(name: string, yTrue: HostTensor, yPred: HostTensor): void {
  if (yTrue.shape.join() !== yPred.shape.join()) {
    throw new ShapeError(
      `${name}: targets ${formatShape(yTrue.shape)} and predictions ${formatShape(yPred.shape)} differ`,
    );
  }
}

/** Fraction of the last axis where (yPred > threshold) equals yTrue, per sample (tfjs / Keras binaryAccuracy). */
function binaryAccuracy(threshold = 0.5) {
  return (yTrue: HostTensor, yPred: HostTensor): Values => {
    checkSame('binaryAccuracy', yTrue, yPred);
    const t = yTrue.values;
    const p = yPred.values;
    const last = yPred.shape[yPred.shape.length - 1] ?? 1;
    const out = new Float64Array(p.length / last);
    for (let i = 0; i < p.length; i++)
      if ((p[i] > threshold ? 1 : 0) === Number(t[i])) out[Math.floor(i / last)] += 1 / last;
    return out;
  };
}

function categoricalAccuracy(yTrue: HostTensor, yPred: HostTensor): Values {
  checkSame('categoricalAccuracy', yTrue, yPred);
  const C = yPred.shape[yPred.shape.length - 1];
  const a = argmaxRows(yTrue.values, C);
  const b = argmaxRows(yPred.values, C);
  return Float64Array.from(a, (v, i) => (v === b[i] ? 1 : 0));
}

function sparseCategoricalAccuracy(yTrue: HostTensor, yPred: HostTensor): Values {
  const C = yPred.shape[yPred.shape.length - 1];
  const rows = yPred.values.length / C;
  const t = yTrue.values;
  if (t.length !== rows) {
    throw new ShapeError(
      `sparseCategoricalAccuracy: targets ${formatShape(yTrue.shape)} should hold one class id per row of predictions ${formatShape(yPred.shape)}`,
    );
  }
  const b = argmaxRows(yPred.values, C);
  return Float64Array.from(b, (v, i) => (v === Math.floor(Number(t[i])) ? 1 : 0));
}

/** Per-element binary counts at a threshold, weighted by the sample weights (broadcast over the last axis). */
function confusionAt(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null, threshold: number) {
  const t = yTrue.values;
  const p = yPred.values;
  if (t.length !== p.length) {
    throw new ShapeError(
      `binary metric: targets ${formatShape(yTrue.shape)} and predictions ${formatShape(yPred.shape)} differ`,
    );
  }
  const per = weights ? p.length / weights.length : 1;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < p.length; i++) {
    const w = weights ? weights[Math.floor(i / per)] : 1;
    const pos = p[i] > threshold;
    const truth = Number(t[i]) > 0.5;
    if (pos && truth) tp += w;
    else if (pos) fp += w;
    else if (truth) fn += w;
    else tn += w;
  }
  return { tp, fp, fn, tn };
}

/** Keras' Precision / Recall / F1 at threshold 0.5, accumulated over the epoch. */
class ConfusionMetric implements Metric {
  readonly isMean = false;
  private tp = 0;
  private fp = 0;
  private fn = 0;

  constructor(
    readonly name: string,
    private readonly kind: 'precision' | 'recall' | 'f1',
  ) {}

  reset(): void {
    this.tp = this.fp = this.fn = 0;
  }

  private value(tp: number, fp: number, fn: number): number {
    const p = tp + fp ? tp / (tp + fp) : 0;
    const r = tp + fn ? tp / (tp + fn) : 0;
    if (this.kind === 'precision') return p;
    if (this.kind === 'recall') return r;
    return p + r ? (2 * p * r) / (p + r) : 0;
  }

  update(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null): number {
    const c = confusionAt(yTrue, yPred, weights, 0.5);
    this.tp += c.tp;
    this.fp += c.fp;
    this.fn += c.fn;
    return this.value(c.tp, c.fp, c.fn);
  }

  result(): number {
    return this.value(this.tp, this.fp, this.fn);
  }
}

/** Keras' AUC (ROC, 200 thresholds, trapezoidal interpolation), accumulated over the epoch. */
class AUC implements Metric {
  readonly isMean = false;
  private readonly thresholds: number[];
  private tp: Float64Array;
  private fp: Float64Array;
  private fn: Float64Array;
  private tn: Float64Array;

  constructor(
    readonly name: string,
    numThresholds = 200,
  ) {
    const eps = 1e-7;
    this.thresholds = [
      -eps,
      ...Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1)),
      1 + eps,
    ];
    const n = this.thresholds.length;
    this.tp = new Float64Array(n);
    this.fp = new Float64Array(n);
    this.fn = new Float64Array(n);
    this.tn = new Float64Array(n);
  }

  reset(): void {
    for (const a of [this.tp, this.fp, this.fn, this.tn]) a.fill(0);
  }

  private accumulate(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null, into: Float64Array[]): void {
    this.thresholds.forEach((th, k) => {
      const c = confusionAt(yTrue, yPred, weights, th);
      into[0][k] += c.tp;
      into[1][k] += c.fp;
      into[2][k] += c.fn;
      into[3][k] += c.tn;
    });
  }

  private static area(tp: Float64Array, fp: Float64Array, fn: Float64Array, tn: Float64Array): number {
    const n = tp.length;
    const rec = Float64Array.from(tp, (v, i) => (v + fn[i] ? v / (v + fn[i]) : 0));
    const fpr = Float64Array.from(fp, (v, i) => (v + tn[i] ? v / (v + tn[i]) : 0));
    let a = 0;
    for (let i = 0; i < n - 1; i++) a += (fpr[i] - fpr[i + 1]) * ((rec[i] + rec[i + 1]) / 2);
    return a;
  }

  update(yTrue: HostTensor, yPred: HostTensor, weights: Float64Array | null): number {
    const n = this.thresholds.length;
    const batch = [0, 1, 2, 3].map(() => new Float64Array(n));
    this.accumulate(yTrue, yPred, weights, batch);
    batch.forEach((b, i) => {
      const into = [this.tp, this.fp, this.fn, this.tn][i];
      for (let k = 0; k < n; k++) into[k] += b[k];
    });
    return AUC.area(batch[0], batch[1], batch[2], batch[3]);
  }

  result(): number {
    return AUC.area(this.tp, this.fp, this.fn, this.tn);
  }
}

/** A metric given by name (Keras' or tfjs' spelling), or a function of (yTrue, yPred) → per-sample values. */
export type MetricIdentifier = string | LossFn | Metric;

/** A loss as a metric: its per-sample values made on the device, read, averaged on the host. */
function lossAsMetric(name: string, fn: LossFn) {
  return new MeanMetric(name, (_t, _p, computed) => (computed as HostTensor).values, fn);
}

/**
 * Resolves a metric for one output. 'accuracy' / 'acc' means binary accuracy when the loss is
 * binary cross-entropy or the output has one unit, sparse categorical accuracy with a sparse loss,
 * categorical accuracy otherwise (as tfjs and Keras decide).
 */
export function resolveMetric(id: MetricIdentifier, loss: LossSpec, outputUnits: number | null): Metric {
  if (typeof id === 'object' && id !== null && 'update' in id) return id;
  if (typeof id === 'function') return lossAsMetric(id.name || 'metric', id);
  if (typeof id !== 'string')
    throw new ConfigError(`metrics: expected a name or a function, got ${JSON.stringify(id)}`);
  const norm = id.toLowerCase().replace(/_/g, '');
  switch (norm) {
    case 'accuracy':
    case 'acc':
      if (loss.binary || outputUnits === 1) return new MeanMetric(id, binaryAccuracy());
      if (loss.sparse) return new MeanMetric(id, sparseCategoricalAccuracy);
      return new MeanMetric(id, categoricalAccuracy);
    case 'binaryaccuracy':
      return new MeanMetric(id, binaryAccuracy());
    case 'categoricalaccuracy':
      return new MeanMetric(id, categoricalAccuracy);
    case 'sparsecategoricalaccuracy':
      return new MeanMetric(id, sparseCategoricalAccuracy);
    case 'precision':
      return new ConfusionMetric(id, 'precision');
    case 'recall':
      return new ConfusionMetric(id, 'recall');
    case 'f1':
    case 'f1score':
      return new ConfusionMetric(id, 'f1');
    case 'auc':
      return new AUC(id);
    default: {
      let asLoss: LossSpec;
      try {
        asLoss = resolveLoss(id);
      } catch {
        throw new ConfigError(
          `metrics: unknown metric '${id}' (known: accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, precision, recall, auc, f1, and the losses)`,
        );
      }
      return lossAsMetric(id, asLoss.fn);
    }
  }
}
