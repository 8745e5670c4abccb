import { join } from 'node:path';
import { type Callback, type Logs, loadModel, tfjsWeightNames } from '@recur/keras';
import { dispose, type Tensor } from '@recur/tensor';
import { type Comparison, compareTensor, type FixtureTensor, loadTensor, type Tolerance } from './fixture-tensor';
import { caseDir } from './keras-model-case';
import type { CaseOptions } from './layer-case';

/** A compile + fit trajectory of fixtures/tfjs-fit/*.fit.json (see its README). */
export interface KerasFitCase {
  model: string;
  compile: {
    optimizer: { name: string; config: Record<string, unknown> };
    loss: string | string[];
    metrics?: string[];
  };
  fit: Record<string, unknown>;
  x: FixtureTensor[];
  y: FixtureTensor;
  history: Record<string, number[]>;
  batch_sizes?: number[][];
  batch_losses?: number[][];
  batch_metrics?: Record<string, number[][]>;
  final_weights?: (FixtureTensor & { name: string })[];
  probe?: FixtureTensor[];
  probe_predictions?: FixtureTensor;
  validation_data?: { x: FixtureTensor[]; y: FixtureTensor };
}

export function isKerasFitCase(json: unknown): json is KerasFitCase {
  const c = json as KerasFitCase;
  return !!c && typeof c.model === 'string' && !!c.compile && !!c.fit && Array.isArray(c.x) && !!c.y && !!c.history;
}

/** Losses and metrics: 1e-5 relative (tfjs' own float32 arithmetic is reproduced, rounding aside); weights 1e-5. */
const SERIES: Tolerance = { atol: 1e-6, rtol: 1e-5 };
const WEIGHTS: Tolerance = { atol: 1e-5, rtol: 1e-4 };

/** tfjs logs metrics: ['accuracy'] as 'acc'; recur logs the name as given. Maps a fixture key to recur's. */
function recurKey(key: string, metrics: string[]): string {
  const val = key.startsWith('val_');
  const base = val ? key.slice(4) : key;
  const given = base === 'acc' ? (metrics.find((m) => m === 'accuracy' || m === 'acc') ?? base) : base;
  return val ? `val_${given}` : given;
}

/**
 * Loads the initial model.json, compiles it as the case says, fits with the case's options and
 * compares every logged value: epoch history, per-batch losses and metrics, final weights (by
 * tfjs' names) and the predictions on the probe.
 */
export async function runKerasFitCase(c: KerasFitCase, options: CaseOptions & { file: string }): Promise<Comparison[]> {
  const model = await loadModel(join(caseDir(options.file), c.model), { compile: false });
  const metrics = c.compile.metrics ?? [];
  const owned: Tensor[] = [];
  try {
    model.compile({
      optimizer: { className: c.compile.optimizer.name, config: c.compile.optimizer.config },
      loss: c.compile.loss,
      metrics,
    });
    const batches: Logs[][] = [];
    const recorder: Callback = {
      onEpochBegin: () => {
        batches.push([]);
      },
      onBatchEnd: (_b, logs) => {
        batches[batches.length - 1].push({ ...(logs ?? {}) });
      },
    };
    const xs = c.x.map((t) => loadTensor(t));
    const y = loadTensor(c.y);
    owned.push(...xs, y);
    const validationData = c.validation_data
      ? ([c.validation_data.x.map((t) => loadTensor(t)), loadTensor(c.validation_data.y)] as [Tensor[], Tensor])
      : undefined;
    if (validationData) owned.push(...validationData[0], validationData[1]);
    const history = await model.fit(xs.length === 1 ? xs[0] : xs, y, {
      ...(c.fit as object),
      verbose: 0,
      callbacks: [recorder],
      ...(validationData ? { validationData } : {}),
    });
    const results: Comparison[] = [];
    for (const [key, values] of Object.entries(c.history)) {
      const mine = history.history[recurKey(key, metrics)];
      results.push(compareSeries(`history ${key}`, mine, values));
    }
    if (c.batch_losses) {
      results.push(
        compareSeries(
          'batch losses',
          batches.flatMap((e) => e.map((b) => b.loss)),
          c.batch_losses.flat(),
        ),
      );
    }
    if (c.batch_sizes) {
      results.push(
        compareSeries(
          'batch sizes',
          batches.flatMap((e) => e.map((b) => b.size)),
          c.batch_sizes.flat(),
        ),
      );
    }
    for (const [key, values] of Object.entries(c.batch_metrics ?? {})) {
      const k = recurKey(key, metrics);
      results.push(
        compareSeries(
          `batch ${key}`,
          batches.flatMap((e) => e.map((b) => b[k])),
          values.flat(),
        ),
      );
    }
    if (c.final_weights) {
      const byName = new Map(model.layers.flatMap((l) => tfjsWeightNames(l)).map((w) => [w.name, w.tensor]));
      for (const w of c.final_weights) {
        const t = byName.get(w.name);
        if (!t) {
          results.push({
            name: `weight ${w.name}`,
            shape: w.shape,
            maxAbsError: Infinity,
            maxRelError: Infinity,
            ok: false,
            rule: 'no weight of that name',
          });
          continue;
        }
        results.push(compareTensor(`weight ${w.name}`, t, w, WEIGHTS));
      }
    }
    if (c.probe && c.probe_predictions) {
      const probe = c.probe.map((t) => loadTensor(t));
      owned.push(...probe);
      const p = model.predict(probe.length === 1 ? probe[0] : probe) as Tensor;
      owned.push(p);
      results.push(compareTensor('probe predictions', p, c.probe_predictions, WEIGHTS));
    }
    return results;
  } finally {
    dispose(owned);
    model.dispose();
  }
}

function compareSeries(name: string, got: (number | undefined)[] | undefined, want: number[]): Comparison {
  if (!got || got.length !== want.length || got.some((v) => v === undefined)) {
    return {
      name,
      shape: [want.length],
      maxAbsError: Infinity,
      maxRelError: Infinity,
      ok: false,
      rule: `got ${JSON.stringify(got)}`,
    };
  }
  let maxAbsError = 0;
  let maxRelError = 0;
  let ok = true;
  want.forEach((w, i) => {
    const abs = Math.abs((got[i] as number) - w);
    const rel = abs / Math.max(Math.abs(w), 1e-30);
    maxAbsError = Math.max(maxAbsError, abs);
    maxRelError = Math.max(maxRelError, rel);
    if (!(abs <= SERIES.atol || rel <= SERIES.rtol)) ok = false;
  });
  return {
    name,
    shape: [want.length],
    maxAbsError,
    maxRelError,
    ok,
    rule: `abs ≤ ${SERIES.atol} or rel ≤ ${SERIES.rtol}`,
  };
}
