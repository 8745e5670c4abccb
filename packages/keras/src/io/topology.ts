import { ConfigError, FormatError, UnsupportedError } from '@recur/tensor';
import { type ConfigContext, type LayerSpec, specOf } from '../engine/config';
import type { Functional } from '../engine/functional';
import type { FunctionalConfig } from '../engine/functional-config';
import type { Layer, WeightSource } from '../engine/layer';
import { Model } from '../model';
import { type DeserializeOptions, deserializeLayer } from '../saving/registry';
import { Sequential } from '../sequential';
import { type Flavor, type KerasLayerJson, readLayerJson, writeLayerJson } from './keras-json';

type Ref = [string, number, number];

/** Classes a loader resolves configs with before the registry (Keras' `custom_objects`). */
export type LoadClasses = Pick<DeserializeOptions, 'customObjects'>;

/**
 * How a loader makes layers from a file's configs: every layer it makes is handed the file's
 * weights before it builds (`takeWeightsFrom`), so its weights come from the file.
 */
export function loadContext(weights?: WeightSource, options: LoadClasses = {}): ConfigContext {
  const deserialize = { ...options, onLayer: weights ? (l: Layer) => l.takeWeightsFrom(weights) : undefined };
  return { deserialize: (s) => deserializeLayer(s, deserialize) };
}

const index = (v: unknown) => v === undefined || v === null || (Number.isSafeInteger(v) && (v as number) >= 0);

function isRef(v: unknown): v is Ref {
  return (
    Array.isArray(v) && typeof v[0] === 'string' && (v.length === 3 || v.length === 4) && index(v[1]) && index(v[2])
  );
}

/** Keras 3's `__keras_tensor__` argument → [layer, node, tensor]; nested lists are flattened. */
function tensorRefs(v: unknown, where: string): Ref[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap((x) => tensorRefs(x, where));
  if (typeof v === 'object' && (v as { class_name?: string }).class_name === '__keras_tensor__') {
    const h = (v as { config?: { keras_history?: unknown } }).config?.keras_history;
    if (!isRef(h))
      throw new FormatError(`a __keras_tensor__ has no keras_history [layer, node, tensor]: ${JSON.stringify(v)}`, {
        file: where,
      });
    return [[h[0], h[1], h[2]]];
  }
  throw new UnsupportedError(`${where}: a call argument ${JSON.stringify(v).slice(0, 120)} is not a tensor`);
}

/** One call of a layer in any dialect → [[layer, node, tensor, {}], ...] (initial states last). */
function readNode(node: unknown, layer: string, where: string): [string, number, number, Record<string, unknown>][] {
  if (Array.isArray(node)) {
    return node.map((r) => {
      if (!isRef(r))
        throw new FormatError(
          `layer '${layer}': an inbound node entry should be [layer, node, tensor, kwargs], got ${JSON.stringify(r)}`,
          { file: where },
        );
      const kwargs = ((r as unknown[])[3] ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(kwargs)) {
        if (k !== 'mask' && k !== 'training' && v !== null && v !== undefined && !(k === 'initial_state')) {
          throw new UnsupportedError(
            `${where}: layer '${layer}' is called with ${k} = ${JSON.stringify(v)}, which is not supported`,
          );
        }
      }
      return [r[0], r[1] ?? 0, r[2] ?? 0, {}];
    });
  }
  if (node && typeof node === 'object' && 'args' in node) {
    const { args, kwargs: given } = node as { args: unknown[]; kwargs?: unknown };
    if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given)))
      throw new FormatError(`layer '${layer}': a call's kwargs should be an object, got ${JSON.stringify(given)}`, {
        file: where,
      });
    const kwargs = (given ?? {}) as Record<string, unknown>;
    const refs = tensorRefs(args, where);
    for (const [k, v] of Object.entries(kwargs)) {
      if (k === 'initial_state') refs.push(...tensorRefs(v, where));
      else if (k === 'mask' || k === 'training') {
        if (tensorRefs(v, where).length)
          throw new UnsupportedError(
            `${where}: layer '${layer}' takes an explicit mask tensor, which is not supported`,
          );
      } else if (v !== null && v !== undefined) {
        throw new UnsupportedError(
          `${where}: layer '${layer}' is called with ${k} = ${JSON.stringify(v)}, which is not supported`,
        );
      }
    }
    return refs.map((r) => [r[0], r[1], r[2], {}]);
  }
  throw new FormatError(
    `layer '${layer}': an inbound node should be a list or { args, kwargs }, got ${JSON.stringify(node)}`,
    { file: where },
  );
}

function refList(v: unknown, what: string, where: string): Ref[] {
  if (isRef(v)) return [[v[0], v[1], v[2]]];
  if (Array.isArray(v) && v.every(isRef)) return v.map((r) => [r[0], r[1], r[2]] as Ref);
  throw new FormatError(`${what} should be [layer, node, tensor] or a list of them, got ${JSON.stringify(v)}`, {
    file: where,
  });
}

/** A functional config from a file → recur's camelCase functional config. */
function readFunctional(config: Record<string, unknown>, flavor: Flavor, where: string): Record<string, unknown> {
  if (!Array.isArray(config.layers))
    throw new FormatError(`a functional model's config needs a 'layers' list`, { file: where });
  const layers = (config.layers as KerasLayerJson[]).map((l) => {
    const spec = readLayerJson(l, flavor, where);
    const name = l.name ?? (l.config?.name as string | undefined);
    if (typeof name !== 'string')
      throw new FormatError(`a layer of the functional model has no name: ${JSON.stringify(l).slice(0, 200)}`, {
        file: where,
      });
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    return {
      name,
      className: spec.className,
      config: modelConfig(spec, flavor, where),
      inboundNodes: nodes.map((n) => readNode(n, name, where)),
    };
  });
  return {
    name: config.name,
    trainable: config.trainable,
    layers,
    inputLayers: refList(config.input_layers ?? config.inputLayers, 'input_layers', where),
    outputLayers: refList(config.output_layers ?? config.outputLayers, 'output_layers', where),
  };
}

/** A nested model's config is converted the same way as the top level. */
function modelConfig(spec: LayerSpec, flavor: Flavor, where: string): Record<string, unknown> {
  if (spec.className === 'Model' || spec.className === 'Functional') {
    return readFunctional(snakeFunctional(spec.config), flavor, where);
  }
  return spec.config;
}

/** readLayerJson camel-cased a nested functional config's top keys; put them back for readFunctional. */
function snakeFunctional(c: Record<string, unknown>): Record<string, unknown> {
  return {
    ...c,
    input_layers: c.inputLayers ?? c.input_layers,
    output_layers: c.outputLayers ?? c.output_layers,
    layers: c.layers,
  };
}

/** The model's topology ({ class_name, config }) from a file, built into a Model or Sequential. */
export function modelFromTopology(topology: unknown, flavor: Flavor, where: string, context: ConfigContext): Model {
  if (!topology || typeof topology !== 'object')
    throw new FormatError(`the model topology should be an object, got ${JSON.stringify(topology)}`, { file: where });
  let t = topology as Record<string, unknown>;
  if ('model_config' in t) t = t.model_config as Record<string, unknown>;
  if (!t || typeof t !== 'object' || Array.isArray(t))
    throw new FormatError(`the model config should be { class_name, config }, got ${JSON.stringify(t)?.slice(0, 80)}`, {
      file: where,
    });
  const className = t.class_name;
  const config = t.config as Record<string, unknown> | unknown[];
  if (config !== undefined && (config === null || typeof config !== 'object'))
    throw new FormatError(`the model's config should be an object, got ${JSON.stringify(config)?.slice(0, 80)}`, {
      file: where,
    });
  if (className === 'Sequential') {
    const layersJson = (Array.isArray(config) ? config : (config?.layers as unknown[])) ?? [];
    if (!Array.isArray(layersJson))
      throw new FormatError(`a Sequential's config needs a 'layers' list`, { file: where });
    const name = Array.isArray(config) ? undefined : (config?.name as string | undefined);
    const model = new Sequential({ name });
    for (const l of layersJson) model.add(context.deserialize(toSpec(readLayerJson(l, flavor, where), flavor, where)));
    const buildShape = Array.isArray(config) ? undefined : (config?.build_input_shape as (number | null)[] | undefined);
    if (!model.hasGraph && Array.isArray(buildShape)) model.build(buildShape);
    return model;
  }
  if (className === 'Model' || className === 'Functional') {
    if (Array.isArray(config) || !config)
      throw new FormatError('a functional model needs a config object', { file: where });
    return Model.fromConfig(readFunctional(config, flavor, where), context);
  }
  throw new UnsupportedError(
    `${where}: the model class '${String(className)}' is not supported (Sequential, Model / Functional)`,
  );
}

function toSpec(spec: LayerSpec, flavor: Flavor, where: string): LayerSpec {
  return { className: spec.className, config: modelConfig(spec, flavor, where) };
}

/** A model's topology as tfjs (model.json) or Keras writes it. */
export function topologyOf(model: Model, flavor: Flavor): { class_name: string; config: Record<string, unknown> } {
  if (model instanceof Sequential) {
    if (!model.hasGraph)
      throw new ConfigError(`${model.name}: a model must be built (know its input shape) to be saved`);
    const layers = model.layers.map((l) => writeLayerJson(specOf(l), flavor));
    const input = model.inputLayers[0];
    if (flavor === 'keras3') {
      const inputJson = writeLayerJson(specOf(input), 'keras3');
      return {
        class_name: 'Sequential',
        config: { name: model.name, trainable: model.trainable, layers: [inputJson, ...layers] },
      };
    }
    if (layers.length) layers[0].config.batch_input_shape = [...input.shape];
    return { class_name: 'Sequential', config: { name: model.name, layers } };
  }
  return { class_name: flavor === 'tfjs' ? 'Model' : 'Functional', config: functionalJson(model, flavor) };
}

function functionalJson(model: Functional, flavor: Flavor): Record<string, unknown> {
  const c = model.getConfig() as unknown as FunctionalConfig;
  const layers = c.layers.map((l) => {
    const spec: LayerSpec = { className: l.className, config: l.config };
    const json =
      l.className === 'Functional' || l.className === 'Model'
        ? {
            class_name: flavor === 'tfjs' ? 'Model' : 'Functional',
            config: functionalJson(model.getLayer(l.name) as Functional, flavor),
          }
        : writeLayerJson(spec, flavor);
    const nodes =
      flavor === 'keras3'
        ? l.inboundNodes.map((node) => keras3Node(model, l.name, node))
        : l.inboundNodes.map((node) => node.map(([n, i, t]) => [n, i, t, {}]));
    return { ...json, name: l.name, inbound_nodes: nodes };
  });
  const outputs = flavor === 'keras3' && c.outputLayers.length === 1 ? c.outputLayers[0] : c.outputLayers;
  return { name: c.name, trainable: c.trainable, layers, input_layers: c.inputLayers, output_layers: outputs };
}

/** Keras 3's { args, kwargs } form of a call, with shapes and dtypes of the tensors it reads. */
function keras3Node(
  model: Functional,
  layerName: string,
  refs: [string, number, number, unknown][],
): Record<string, unknown> {
  const layer = model.getLayer(layerName);
  const tensorJson = ([n, i, t]: [string, number, number, unknown]) => {
    const out = model.callsOf(model.getLayer(n))[i]?.outputs[t];
    return {
      class_name: '__keras_tensor__',
      config: { shape: out?.shape ?? null, dtype: out?.dtype ?? 'float32', keras_history: [n, i, t] },
    };
  };
  const takesStates = 'cell' in layer || 'forwardLayer' in layer;
  if (takesStates && refs.length > 1) {
    return { args: [tensorJson(refs[0])], kwargs: { initial_state: refs.slice(1).map(tensorJson) } };
  }
  if (refs.length > 1) return { args: [refs.map(tensorJson)], kwargs: {} };
  return { args: refs.map(tensorJson), kwargs: {} };
}
