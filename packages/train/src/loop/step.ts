import { noGrad, valueAndGradsWithAux } from '@recur/autograd';
import { RecurError, type Tensor, type TypedArray, tensorsCreated, tensorsIn, tidy } from '@recur/tensor';
import { clipGradNormAsync } from '../clip';
import type { Optimizer } from '../optimizers/optimizer';

/** What a loss function returns: the scalar loss and, optionally, what to count and log. */
export interface StepResult {
  /** The scalar loss the gradient is taken of. */
  loss: Tensor;
  /** Targets this loss averages over (weights the epoch mean; tokens/s). Default 1. */
  count?: number | Tensor;
  /** Correct predictions among them, for accuracy. */
  correct?: number | Tensor;
  /** More scalar values to log for this batch (per-output losses, say), read after the step. */
  logs?: Record<string, Tensor>;
  /** Tensors whose whole values the caller needs after the step (predictions for host-side metrics). */
  read?: Record<string, Tensor>;
}

/** One step's numbers, read from the device after the step. */
export interface StepOutcome {
  /** The batch's loss. */
  loss: number;
  /** What it averaged over (1 when the loss did not say). */
  count: number;
  /** Correct predictions, when the loss reported them. */
  correct?: number;
  /** The StepResult's `logs`, read. */
  logs: Record<string, number>;
  /** The values of the StepResult's `read` tensors. */
  values: Record<string, TypedArray>;
  /** A step whose loss or gradients were NaN / Inf and was skipped (`skipNonFinite`). */
  skipped: boolean;
  /** The global gradient norm before clipping, when the step clipped (`clipGradNorm`). */
  gradNorm?: number;
}

function asResult(r: StepResult | Tensor): StepResult {
  return 'loss' in r && !('shape' in r) ? r : { loss: r as Tensor };
}

/** Reads a step's scalars asynchronously (any backend), all at once. */
async function read(value: Tensor, r: StepResult): Promise<Omit<StepOutcome, 'skipped'>> {
  const scalar = async (v: number | Tensor | undefined) =>
    v === undefined ? undefined : typeof v === 'number' ? v : (await v.data())[0];
  const logNames = Object.keys(r.logs ?? {});
  const readNames = Object.keys(r.read ?? {});
  const [loss, count, correct, ...scalars] = await Promise.all([
    scalar(value),
    scalar(r.count),
    scalar(r.correct),
    ...logNames.map((k) => scalar(r.logs?.[k])),
  ]);
  const arrays = await Promise.all(readNames.map((k) => (r.read as Record<string, Tensor>)[k].data()));
  return {
    loss: loss as number,
    count: count ?? 1,
    correct,
    logs: Object.fromEntries(logNames.map((k, i) => [k, scalars[i] as number])),
    values: Object.fromEntries(readNames.map((k, i) => [k, arrays[i]])),
  };
}

/** What `trainStep` runs: the loss of one batch and the optimizer that steps on its gradients. */
export interface TrainStepOptions {
  /** The optimizer (its parameters are what the gradient is taken with respect to). */
  optimizer: Optimizer;
  /** The loss of one batch (and what to log), computed from the model's forward pass. */
  loss: () => StepResult | Tensor;
  /** Clip the global gradient norm to this before the update (torch's clip_grad_norm_). */
  clipGradNorm?: number;
  /** Skip a step whose loss or gradients are NaN / Inf instead of stopping with an error. */
  skipNonFinite?: boolean;
  /** Where the step is, for an error message ('epoch 2, batch 17'). */
  where?: string;
}

/**
 * One training step, the one every loop takes (`fit`, Keras' `Model.fit` and `trainOnBatch`, the
 * demo): the loss and its gradients with respect to the optimizer's parameters, optional
 * clipping, the optimizer's update. Every value it needs on the host is read asynchronously, so a
 * backend without synchronous reads (a GPU) trains; every tensor the step makes is freed.
 *
 * @example
 * ```ts
 * import { Linear } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * import { mse, SGD, trainStep } from '@recur/train';
 * const model = new Linear(3, 1);
 * const optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * const [x, y] = [randomNormal([16, 3]), randomNormal([16, 1])];
 * const first = await trainStep({ optimizer, loss: () => mse(model.forward(x), y) });
 * const second = await trainStep({ optimizer, loss: () => mse(model.forward(x), y) });
 * console.log(second.loss < first.loss, optimizer.stepCount); // true 2
 * ```
 */
export async function trainStep(options: TrainStepOptions): Promise<StepOutcome> {
  const { optimizer } = options;
  const mark = tensorsCreated();
  const { value, grads, aux } = valueAndGradsWithAux(
    () => {
      const r = asResult(options.loss());
      return { value: r.loss, aux: r };
    },
    optimizer.params.map((p) => p.value),
  );
  try {
    const got = await read(value, aux);
    let g = grads;
    let skipped = false;
    let gradNorm: number | undefined;
    if (!Number.isFinite(got.loss)) {
      if (!options.skipNonFinite) {
        throw new RecurError(
          `train step: the loss is ${got.loss}${options.where ? ` at ${options.where}` : ''}; no update was applied (skipNonFinite skips such steps)`,
        );
      }
      skipped = true;
    } else {
      if (options.clipGradNorm !== undefined) {
        const clipped = await clipGradNormAsync(g, options.clipGradNorm);
        g = clipped.grads;
        gradNorm = clipped.norm;
      }
      skipped = !(await optimizer.stepAsync(g, { skipNonFinite: options.skipNonFinite }));
    }
    for (const t of g) t.dispose();
    return { ...got, skipped, ...(gradNorm === undefined ? {} : { gradNorm }) };
  } finally {
    for (const t of grads) t.dispose();
    disposeResult(aux, mark);
  }
}

/** The loss (and logs) of one batch without gradients, in the model's current mode, read asynchronously. */
export async function evalStep(loss: () => StepResult | Tensor): Promise<StepOutcome> {
  const mark = tensorsCreated();
  const r = noGrad(() => tidy(() => asResult(loss())));
  try {
    return { ...(await read(r.loss, r)), skipped: false };
  } finally {
    disposeResult(r, mark);
  }
}

/** Frees what the loss function made (tensors created after `mark`); a batch's own tensors it returns are left alone. */
function disposeResult(r: StepResult, mark: number): void {
  for (const t of tensorsIn(r)) if (t.id >= mark) t.dispose();
}
