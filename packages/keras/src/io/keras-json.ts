import {
  ACTIVATIONS,
  camelCase,
  canonicalActivation,
  canonicalInitializer,
  type InitializerConfig,
  snakeCase,
} from '@recur/layers';
import { ConfigError, FormatError, own, UnsupportedError } from '@recur/tensor';
import type { LayerSpec } from '../engine/config';
import { layerClass } from '../saving/registry';

/**
 * Which Keras dialect a config is in. They differ in a few defaults and names: tfjs and Keras 2
 * call clip(0.2x + 0.5) 'hard_sigmoid', Keras 3 means relu6(x + 3) / 6 by it; tfjs' GRU defaults to
 * reset_after false, Keras' to true; Keras 3 wraps layers as { module, class_name, config }.
 */
export type Flavor = 'tfjs' | 'keras2' | 'keras3';

/** A serialised layer as it appears in model files (Keras' snake_case). */
export interface KerasLayerJson {
  /** The layer's class ('LSTM'). */
  class_name: string;
  /** Its arguments, snake_case. */
  config: Record<string, unknown>;
  /** Its name (functional models). */
  name?: string;
  /** Its calls (functional models). */
  inbound_nodes?: unknown;
  /** Keras 3: the module the class is in ('keras.layers'). */
  module?: string;
  /** Keras 3: the registered name of a custom class (null for built-ins). */
  registered_name?: string | null;
  /** Keras 3: the shapes the layer was built with. */
  build_config?: unknown;
}

const snake = snakeCase;
const camel = camelCase;

/** Options Keras writes that do not change results when they hold these values. */
const HARMLESS: Record<string, (v: unknown) => boolean> = {
  unroll: () => true,
  implementation: () => true,
  seed: () => true,
  sparse: (v) => v === false || v === null,
  ragged: (v) => v === false || v === null,
  optional: (v) => v === false || v === null,
  quantization_config: (v) => v === null,
  lora_rank: (v) => v === null,
  lora_alpha: (v) => v === null,
  time_major: (v) => v === false || v === null,
  autocast: () => true,
  rms_scaling: (v) => v === false || v === null,
  synchronized: (v) => v === false || v === null,
  build_input_shape: () => true,
};

function isNullOrEmpty(v: unknown): boolean {
  return v === null || v === undefined;
}

/** A dtype as Keras writes it: a string, or Keras 3's DTypePolicy object. */
function readDType(owner: string, v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && 'config' in v) {
    const name = (v as { config?: { name?: string } }).config?.name;
    if (typeof name === 'string') return name;
  }
  throw new ConfigError(`${owner}: dtype should be a name or a DTypePolicy, got ${JSON.stringify(v)}`);
}

function checkDType(owner: string, dtype: string | undefined): string | undefined {
  if (dtype === undefined) return undefined;
  if (['float32', 'float64', 'int32', 'bool'].includes(dtype)) return dtype;
  if (dtype === 'int64') return 'int32';
  throw new UnsupportedError(`${owner}: dtype '${dtype}' is not supported (float32, float64, int32, bool)`);
}

/** An activation name as a file writes it, in recur's names (flavor decides what hard_sigmoid is). */
function readActivation(owner: string, v: unknown, flavor: Flavor): string {
  if (v === null || v === undefined) return 'linear';
  let name: unknown = v;
  if (typeof v === 'object' && v !== null)
    name =
      (v as { class_name?: string; config?: { name?: string } }).config?.name ??
      (v as { class_name?: string }).class_name;
  if (typeof name !== 'string')
    throw new ConfigError(`${owner}: activation should be a name, got ${JSON.stringify(v)}`);
  const norm = name.toLowerCase().replace(/_/g, '');
  if (norm === 'hardsigmoid') return flavor === 'keras3' ? 'hardSigmoidKeras3' : 'hardSigmoid';
  try {
    const c = canonicalActivation(name);
    return c as string;
  } catch {
    throw new UnsupportedError(`${owner}: activation '${name}' is not supported (recur has ${ACTIVATIONS.join(', ')})`);
  }
}

function writeActivation(owner: string, v: unknown, flavor: Flavor): string {
  if (typeof v === 'function')
    throw new ConfigError(`${owner}: an activation given as a function cannot be saved; use a name`);
  const name = String(v ?? 'linear');
  if (name === 'hardSigmoid') {
    if (flavor === 'keras3') {
      throw new UnsupportedError(
        `${owner}: hardSigmoid (clip(0.2x + 0.5)) has no Keras 3 name; Keras 3's hard_sigmoid is hardSigmoidKeras3`,
      );
    }
    return 'hard_sigmoid';
  }
  if (name === 'hardSigmoidKeras3') {
    if (flavor !== 'keras3')
      throw new UnsupportedError(`${owner}: hardSigmoidKeras3 (relu6(x + 3) / 6) has no ${flavor} name`);
    return 'hard_sigmoid';
  }
  if (name === 'logSoftmax') return flavor === 'tfjs' ? 'logSoftmax' : 'log_softmax';
  return snake(name);
}

const INIT_CLASS: Record<InitializerConfig['name'], string> = {
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
  uniform: 'RandomUniform',
  normal: 'RandomNormal',
  truncatedNormal: 'TruncatedNormal',
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heUniform: 'HeUniform',
  heNormal: 'HeNormal',
  lecunUniform: 'LeCunUniform',
  lecunNormal: 'LeCunNormal',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
  varianceScaling: 'VarianceScaling',
};

function writeInitializer(owner: string, v: unknown, flavor: Flavor): Record<string, unknown> {
  if (typeof v === 'function')
    throw new ConfigError(`${owner}: an initializer given as a function cannot be saved; use a name`);
  const c = canonicalInitializer(v as never) as InitializerConfig;
  const config: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(c)) {
    if (k === 'name') continue;
    if (k === 'mode') config.mode = snake(String(value));
    else if (k === 'distribution') {
      config.distribution = flavor === 'keras3' ? snake(String(value)) : value === 'uniform' ? 'uniform' : 'normal';
    } else config[k] = value;
  }
  let className = INIT_CLASS[c.name];
  if (flavor === 'keras3' && className.startsWith('LeCun')) className = className.replace('LeCun', 'Lecun');
  if (
    [
      'glorotUniform',
      'glorotNormal',
      'heUniform',
      'heNormal',
      'lecunUniform',
      'lecunNormal',
      'orthogonal',
      'uniform',
      'normal',
      'truncatedNormal',
      'varianceScaling',
    ].includes(c.name)
  ) {
    config.seed = config.seed ?? null;
  }
  const out: Record<string, unknown> = { class_name: className, config };
  if (flavor === 'keras3') return { module: 'keras.initializers', ...out, registered_name: null };
  return out;
}

function isLayerJson(v: unknown): v is KerasLayerJson {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const j = v as { class_name?: unknown; registered_name?: unknown; name?: unknown };
  return (
    typeof j.class_name === 'string' &&
    (j.registered_name === undefined || j.registered_name === null || typeof j.registered_name === 'string') &&
    (j.name === undefined || j.name === null || typeof j.name === 'string')
  );
}

/**
 * A layer from a model file → recur's `{ className, config }` (camelCase options). Options that
 * do not change results are dropped; an option recur does not implement is an error naming the
 * layer, the option and its value.
 */
export function readLayerJson(
  json: unknown,
  flavor: Flavor,
  where = 'model',
): LayerSpec & { name?: string; inboundNodes?: unknown } {
  if (!isLayerJson(json)) {
    throw new FormatError(
      `a layer entry should be { class_name, config }, got ${JSON.stringify(json)?.slice(0, 200)}`,
      { file: where },
    );
  }
  const className =
    json.registered_name && json.registered_name !== json.class_name && !json.registered_name.startsWith('keras')
      ? json.registered_name
      : json.class_name;
  const cfg = (json.config ?? {}) as Record<string, unknown>;
  if (typeof cfg !== 'object' || Array.isArray(cfg)) {
    if (className === 'Sequential' && Array.isArray(cfg))
      return { className, config: { layers: (cfg as unknown[]).map((l) => readLayerJson(l, flavor, where)) } };
    throw new FormatError(
      `layer '${json.name ?? className}': config should be an object, got ${JSON.stringify(cfg)?.slice(0, 200)}`,
      { file: where },
    );
  }
  const owner = `${where}: layer '${(cfg.name as string) ?? json.name ?? '?'}' (${className})`;
  const builtin = layerClass(className) !== undefined || ['Model', 'Functional', 'Sequential'].includes(className);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cfg)) {
    if (/_regularizer$|_constraint$/.test(key)) {
      if (!isNullOrEmpty(value))
        throw new UnsupportedError(`${owner}: option ${key} = ${JSON.stringify(value)} is not supported`);
      continue;
    }
    const harmless = own(HARMLESS, key);
    if (harmless) {
      if (!harmless(value))
        throw new UnsupportedError(`${owner}: option ${key} = ${JSON.stringify(value)} is not supported`);
      continue;
    }
    switch (key) {
      case 'dtype': {
        const d = checkDType(owner, readDType(owner, value));
        if (d) out.dtype = d;
        continue;
      }
      case 'batch_input_shape':
      case 'batch_shape':
        if (value !== null && value !== undefined) out.batchInputShape = value;
        continue;
      case 'input_shape':
        if (value !== null && value !== undefined) out.inputShape = value;
        continue;
      case 'unit_forget_bias':
        if (value !== null && value !== undefined) out.unitForgetBias = value;
        continue;
      case 'activation':
      case 'recurrent_activation':
        out[camel(key)] = readActivation(owner, value, flavor);
        continue;
      case 'layer':
      case 'backward_layer':
      case 'cell':
        if (value === null || value === undefined) continue;
        if (Array.isArray(value))
          throw new UnsupportedError(`${owner}: a list of cells (StackedRNNCells) is not supported`);
        out[camel(key)] = readLayerJson(value, flavor, where);
        continue;
      case 'layers':
        if (Array.isArray(value)) out.layers = value.map((l) => readLayerJson(l, flavor, where));
        continue;
      case 'data_format':
        if (value !== 'channels_last' && value !== null)
          throw new UnsupportedError(`${owner}: data_format '${value}' is not supported (channels_last)`);
        continue;
      case 'merge_mode':
        out.mergeMode = value;
        continue;
      case 'mask_value':
        out.maskValue = value;
        continue;
      case 'target_shape':
        out.targetShape = value;
        continue;
      case 'input_layers':
      case 'output_layers':
        out[camel(key)] = value;
        continue;
      case 'weights':
        if (value !== null && value !== undefined)
          throw new UnsupportedError(`${owner}: initial 'weights' in a config are not supported`);
        continue;
      default:
        break;
    }
    if (/_initializer$/.test(key)) {
      if (value !== null && value !== undefined) {
        try {
          out[camel(key)] = canonicalInitializer(value as never);
        } catch (e) {
          throw new UnsupportedError(`${owner}: ${key}: ${(e as Error).message}`);
        }
      }
      continue;
    }
    out[builtin ? camel(key) : camel(key)] = value;
  }
  // Defaults that differ between dialects.
  if (className === 'GRU' || className === 'GRUCell') out.resetAfter ??= flavor !== 'tfjs';
  if (['LSTM', 'GRU', 'LSTMCell', 'GRUCell'].includes(className) && out.recurrentActivation === undefined) {
    out.recurrentActivation = flavor === 'tfjs' ? 'hardSigmoid' : 'sigmoid';
  }
  if (className === 'Dropout' && out.noiseShape === null) delete out.noiseShape;
  const spec: LayerSpec & { name?: string; inboundNodes?: unknown } = { className, config: out };
  if (json.name !== undefined) spec.name = json.name;
  if (json.inbound_nodes !== undefined) spec.inboundNodes = json.inbound_nodes;
  return spec;
}

/** Names written in snake_case as-is (already Keras' spelling). */
const RENAME_OUT: Record<string, string> = { batchInputShape: 'batch_input_shape' };

/** recur's `{ className, config }` → a layer as Keras / tfjs write it (snake_case). */
export function writeLayerJson(spec: LayerSpec, flavor: Flavor): KerasLayerJson {
  const owner = `layer '${spec.config.name ?? '?'}' (${spec.className})`;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec.config)) {
    if (value === undefined) continue;
    if (key === 'activation' || key === 'recurrentActivation')
      config[snake(key)] = writeActivation(owner, value, flavor);
    else if (/Initializer$/.test(key)) config[snake(key)] = writeInitializer(owner, value, flavor);
    else if (key === 'layer' || key === 'backwardLayer' || key === 'cell')
      config[snake(key)] = writeLayerJson(value as LayerSpec, flavor);
    else if (key === 'batchInputShape') {
      if (flavor === 'keras3') {
        if (spec.className === 'InputLayer') config.batch_shape = value;
      } else config.batch_input_shape = value;
    } else if (key === 'dtype' && flavor === 'keras3' && spec.className !== 'InputLayer') {
      config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: value }, registered_name: null };
    } else if (key === 'layers') {
      config.layers = (value as LayerSpec[]).map((l) => writeLayerJson(l, flavor));
    } else config[RENAME_OUT[key] ?? snake(key)] = value;
  }
  if (flavor === 'keras3' && spec.className !== 'InputLayer' && config.dtype === undefined) {
    config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  }
  const out: KerasLayerJson = { class_name: spec.className, config };
  if (flavor === 'keras3') {
    const registered = layerClass(spec.className) ? null : spec.className;
    return {
      module: registered ? 'custom' : 'keras.layers',
      class_name: spec.className,
      config,
      registered_name: registered,
    };
  }
  return out;
}
