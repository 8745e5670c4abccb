import type { Parameter } from '@recur/layers';
import { own } from '@recur/tensor';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '@recur/train';
import type { LossIdentifier } from '../compile/losses';
import type { MetricIdentifier } from '../compile/metrics';
import type { OptimizerIdentifier } from '../compile/optimizers';
import type { Functional } from '../engine/functional';
import type { Model } from '../model';
import type { CompileArgs } from '../trainer/compile-utils';

/** Compile settings as JSON: what a model file stores so that a loaded model trains on. */
export interface CompileJson {
  optimizer: unknown;
  loss: unknown;
  metrics?: unknown;
  lossWeights?: unknown;
}

const RECUR_OPTIMIZERS: Record<string, (params: Parameter[]) => Optimizer> = {
  Adam: (p) => new Adam(p),
  AdamW: (p) => new AdamW(p),
  SGD: (p) => new SGD(p),
  RMSprop: (p) => new RMSprop(p),
  Adagrad: (p) => new Adagrad(p),
};

function serialisable(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'function') return false;
  if (typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every(serialisable);
  if ('update' in (v as object) || 'step' in (v as object)) return false;
  return Object.values(v as object).every(serialisable);
}

/** The model's compile arguments as JSON, or null when one of them is a function (not savable). */
export function compileToJson(model: Model): CompileJson | null {
  const args = model.compileArgs;
  if (!args) return null;
  let optimizer: unknown = args.optimizer;
  if (optimizer && typeof optimizer === 'object' && 'params' in optimizer && 'step' in optimizer) {
    // A recur Optimizer instance: saved by class; its state (hyper-parameters, buffers) travels with the weights.
    optimizer = { recur: (optimizer as Optimizer).name };
  }
  const json: CompileJson = { optimizer, loss: args.loss, metrics: args.metrics, lossWeights: args.lossWeights };
  return serialisable(json.optimizer) && serialisable(json.loss) && serialisable(json.metrics) ? json : null;
}

/** Compile arguments back from JSON (recur's own, tfjs' trainingConfig, Keras' compile_config). */
export function compileFromJson(json: Record<string, unknown>): CompileArgs {
  let optimizer = (json.optimizer ?? json.optimizer_config) as unknown;
  if (optimizer && typeof optimizer === 'object' && 'recur' in optimizer) {
    const make = own(RECUR_OPTIMIZERS, (optimizer as { recur: unknown }).recur);
    if (make) optimizer = make;
  }
  if (optimizer && typeof optimizer === 'object' && 'class_name' in optimizer) {
    const o = optimizer as { class_name: string; config?: Record<string, unknown> };
    optimizer = { className: o.class_name, config: o.config ?? {} };
  }
  const loss = normaliseNames(json.loss) as LossIdentifier;
  const metrics = normaliseNames(json.metrics ?? undefined) as MetricIdentifier[] | undefined;
  return {
    optimizer: optimizer as OptimizerIdentifier,
    loss,
    metrics: Array.isArray(metrics) || (metrics && typeof metrics === 'object') ? metrics : undefined,
    lossWeights: (json.lossWeights ?? json.loss_weights ?? undefined) as CompileArgs['lossWeights'],
  };
}

/** Keras 3 writes losses and metrics as { module, class_name, config } or names; lists and maps of them. */
function normaliseNames(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(normaliseNames).filter((x) => x !== undefined);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.class_name === 'string') {
      const config = (o.config ?? {}) as Record<string, unknown>;
      return { className: o.class_name, config: { ...config, fromLogits: config.from_logits ?? config.fromLogits } };
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normaliseNames(x)]));
  }
  return v;
}

/** Keras' layer names are the keys of a model's weights (stateDict names start with them). */
export function layerNames(model: Functional): string[] {
  return model.layers.map((l) => l.name);
}
