import { dispose, FormatError, type Tensor } from '@recur/tensor';
import { decodeCheckpoint, encodeCheckpoint } from '@recur/train';
import { type LayerSpec, specOf } from '../engine/config';
import type { Model } from '../model';
import { type CompileJson, compileFromJson, compileToJson } from './compile-json';
import { type LoadClasses, loadContext } from './topology';
import { type WeightEntry, WeightPlan } from './weights';

export const MODEL_FORMAT = 'recur-keras-model';
export const MODEL_VERSION = 1;

interface ModelMeta {
  format: string;
  version: number;
  /** The model's own config ({ className, config }, camelCase). */
  model: LayerSpec;
  compile: CompileJson | null;
  /** The model's userDefinedMetadata (tfjs' name), kept as is. */
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * recur's whole-model file: a recur checkpoint (one safetensors file) whose weights are the
 * model's state dict (`<layer>.<path>.<weight>`), with the architecture, the compile settings and
 * the optimizer's state. `safetensors.torch.load_file` reads it; `loadModel` rebuilds the model.
 */
export function encodeModel(model: Model, options: { includeOptimizer?: boolean } = {}): Uint8Array {
  const compile = compileToJson(model);
  const withOptimizer = (options.includeOptimizer ?? true) && compile !== null && model.isCompiled;
  const state = withOptimizer && model.isCompiled ? model.optimizer.state() : undefined;
  try {
    const meta: ModelMeta = {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      model: specOf(model),
      compile,
      userDefinedMetadata: model.userDefinedMetadata,
    };
    return encodeCheckpoint({
      model: model.stateDict(),
      optimizer: state,
      step: state?.step ?? 0,
      extra: { keras: meta },
    });
  } finally {
    if (state) dispose(state.slots);
  }
}

/** Whether these bytes are a recur model file (a checkpoint carrying a Keras model config). */
export function isRecurModel(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.length) return false;
  const head = new TextDecoder().decode(bytes.subarray(8, Math.min(8 + n, 8 + 4096)));
  return head.trimStart().startsWith('{') && head.includes(MODEL_FORMAT);
}

/** Rebuilds a model from recur's file: no initializer runs; compiled and with its optimizer state when saved so. */
export function decodeModel(bytes: Uint8Array, where: string, classes: LoadClasses = {}): Model {
  const c = decodeCheckpoint(bytes, where);
  const meta = (c.extra as { keras?: ModelMeta } | undefined)?.keras;
  const owned: Tensor[] = [...Object.values(c.model), ...(c.optimizer?.slots.flatMap((s) => Object.values(s)) ?? [])];
  try {
    if (!meta || meta.format !== MODEL_FORMAT) {
      throw new FormatError(
        'this checkpoint holds no Keras model config (it is a plain recur checkpoint: load it with loadCheckpoint)',
        { file: where },
      );
    }
    if (meta.version > MODEL_VERSION) {
      throw new FormatError(`model file version ${meta.version} is newer than this library's ${MODEL_VERSION}`, {
        file: where,
      });
    }
    const names = topLayerNames(meta.model).sort((a, b) => b.length - a.length);
    const byLayer = new Map<string, WeightEntry[]>();
    for (const [key, t] of Object.entries(c.model)) {
      const layer = names.find((n) => key.startsWith(`${n}.`));
      if (!layer)
        throw new FormatError(`weight '${key}' belongs to no layer of the model`, { file: where, entry: key });
      const rest = key.slice(layer.length + 1);
      const entry: WeightEntry = {
        path: `${layer}/${rest.replace(/\./g, '/')}`,
        name: rest.split('.').pop(),
        shape: [...t.shape],
        load: () => t,
      };
      byLayer.set(layer, [...(byLayer.get(layer) ?? []), entry]);
    }
    const plan = new WeightPlan(where, byLayer);
    const model = loadContext(plan, classes).deserialize(meta.model) as Model;
    plan.finish(model);
    // The tensors now belong to the model's parameters; only the optimizer's are ours to free.
    owned.length = 0;
    if (meta.compile) {
      model.compile(compileFromJson(meta.compile as unknown as Record<string, unknown>));
      if (c.optimizer) model.optimizer.loadState(c.optimizer);
    }
    if (c.optimizer) dispose(c.optimizer.slots);
    if (meta.userDefinedMetadata) model.userDefinedMetadata = meta.userDefinedMetadata;
    return model;
  } finally {
    dispose(owned);
  }
}

/** The names of a model config's top-level layers (Sequential: its layers; functional: its layer entries). */
function topLayerNames(spec: LayerSpec): string[] {
  const layers = (spec.config.layers as { name?: string; config?: { name?: string } }[] | undefined) ?? [];
  return layers.map((l) => l.name ?? l.config?.name ?? '').filter(Boolean);
}
