import { FormatError, RecurError } from '@recur/tensor';
import { strFromU8, strToU8, type Unzipped, unzipSync, zipSync } from 'fflate';
import { Functional } from '../engine/functional';
import { Layer } from '../engine/layer';
import type { Model } from '../model';
import { Sequential } from '../sequential';
import { child, datasetEntry, type H5Group, h5, isGroup, openH5 } from './hdf5';
import type { KerasLayerJson } from './keras-json';
import { type LoadClasses, loadContext, modelFromTopology, topologyOf } from './topology';
import { type WeightEntry, WeightPlan } from './weights';

/** Keras' naming.to_snake_case: the name of a layer's group in model.weights.h5. */
export function kerasSnake(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const MAX_MEMBER = 2 ** 31;

/** Unzips a .keras archive, refusing members that are too large or that escape (zip paths). */
export function unzipKeras(where: string, bytes: Uint8Array): Unzipped {
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        if (f.name.includes('..') || f.name.startsWith('/')) {
          throw new FormatError(`archive member '${f.name}' has a path outside the archive`, { file: where });
        }
        if (f.originalSize > MAX_MEMBER) {
          throw new FormatError(
            `archive member '${f.name}' claims ${f.originalSize} bytes, more than the ${MAX_MEMBER} allowed`,
            { file: where },
          );
        }
        return ['config.json', 'metadata.json', 'model.weights.h5'].includes(f.name) || f.name.startsWith('assets/');
      },
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`not a readable .keras (zip) archive: ${e instanceof Error ? e.message : String(e)}`, {
      file: where,
    });
  }
}

/** Every dataset of a saveable's group: its own `vars/0, 1, ...` first, then its sub-groups' (by name). */
function collectVars(where: string, group: H5Group, path: string, skip: Set<string> = new Set()): WeightEntry[] {
  const out: WeightEntry[] = [];
  const vars = child(where, group, 'vars');
  if (vars && isGroup(vars)) {
    const keys = h5(where, `${path}/vars`, () => vars.keys)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b));
    for (const k of keys) {
      const d = child(where, vars, k);
      if (!d || isGroup(d)) throw new FormatError(`'${path}/vars/${k}' should be a dataset`, { file: where });
      out.push(datasetEntry(where, `${path}/vars/${k}`, d));
    }
  }
  const subs = h5(where, path, () => group.keys)
    .filter((k) => k !== 'vars' && !skip.has(k))
    .sort();
  for (const k of subs) {
    const g = child(where, group, k);
    if (g && isGroup(g)) out.push(...collectVars(where, g, `${path}/${k}`));
  }
  return out;
}

/**
 * Keras 3's weights layout: one group per layer of `model.layers` (InputLayers included for a
 * functional model, not for a Sequential), named after the class in snake_case and numbered
 * (`layers/lstm`, `layers/lstm_1`), whatever the layer is called. Returns the entries per layer name.
 */
function kerasWeights(
  where: string,
  root: H5Group,
  config: KerasLayerJson,
  prefix = 'layers',
): Map<string, WeightEntry[]> {
  const out = new Map<string, WeightEntry[]>();
  const layersGroup = child(where, root, 'layers');
  const all = (config.config?.layers as KerasLayerJson[] | undefined) ?? [];
  if (!Array.isArray(all)) throw new FormatError("the model config's 'layers' should be a list", { file: where });
  for (const l of all) {
    if (!l || typeof l !== 'object' || typeof l.class_name !== 'string')
      throw new FormatError(`a layer entry should be { class_name, config }, got ${JSON.stringify(l)?.slice(0, 80)}`, {
        file: where,
      });
    const name = (l.config as { name?: unknown } | undefined)?.name ?? l.name;
    if (name !== undefined && name !== null && typeof name !== 'string')
      throw new FormatError(`a layer name should be a string, got ${JSON.stringify(name)}`, { file: where });
  }
  const listed = config.class_name === 'Sequential' ? all.filter((l) => l.class_name !== 'InputLayer') : all;
  const used = new Map<string, number>();
  for (const l of listed) {
    const base = kerasSnake(l.class_name);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const groupName = n === undefined ? base : `${base}_${n + 1}`;
    const name = (l.config?.name as string | undefined) ?? l.name ?? groupName;
    const g = layersGroup && isGroup(layersGroup) ? child(where, layersGroup, groupName) : undefined;
    if (!g || !isGroup(g)) {
      out.set(name, []);
      continue;
    }
    if (l.class_name === 'Functional' || l.class_name === 'Sequential' || l.class_name === 'Model') {
      for (const [k, v] of kerasWeights(where, g, l, `${prefix}/${groupName}/layers`)) out.set(k, v);
      continue;
    }
    out.set(name, collectVars(where, g, `${prefix}/${groupName}`));
  }
  return out;
}

/** The parts of a .keras file. */
export interface KerasArchive {
  /** config.json: the model's layer JSON, with Keras 3's compile_config. */
  config: KerasLayerJson & {
    /** How the model was compiled, when it was. */
    compile_config?: Record<string, unknown> | null;
  };
  /** metadata.json (keras_version, date_saved). */
  metadata: Record<string, unknown>;
  /** model.weights.h5's bytes, when present. */
  weights: Uint8Array | undefined;
}

/** The parts of a .keras zip, each checked to be there and to parse. */
export function readKerasArchive(where: string, bytes: Uint8Array): KerasArchive {
  const files = unzipKeras(where, bytes);
  const json = (name: string) => {
    const b = files[name];
    if (!b) throw new FormatError(`the archive has no ${name}`, { file: where });
    try {
      return JSON.parse(strFromU8(b));
    } catch (e) {
      throw new FormatError(`${name} is not valid JSON (${(e as Error).message})`, { file: where, entry: name });
    }
  };
  const config = json('config.json');
  const metadata = files['metadata.json'] ? json('metadata.json') : {};
  return { config, metadata, weights: files['model.weights.h5'] };
}

/** Reads a Keras 3 `.keras` file into a model (weights from model.weights.h5, no initializer runs). */
export async function readKeras3(
  where: string,
  bytes: Uint8Array,
  classes: LoadClasses = {},
): Promise<{ model: Model; compileConfig?: Record<string, unknown> }> {
  const archive = readKerasArchive(where, bytes);
  const byLayer = archive.weights
    ? kerasWeights(
        `${where}:model.weights.h5`,
        await openH5(`${where}:model.weights.h5`, archive.weights),
        archive.config,
      )
    : new Map<string, WeightEntry[]>();
  for (const [k, v] of byLayer) if (v.length === 0) byLayer.delete(k);
  const plan = new WeightPlan(`${where}:model.weights.h5`, byLayer);
  const model = modelFromTopology(archive.config, 'keras3', `${where}:config.json`, loadContext(plan, classes));
  plan.finish(model);
  return { model, compileConfig: archive.config.compile_config ?? undefined };
}

interface H5Writer {
  create_group(name: string): H5Writer;
  create_attribute(name: string, value: string): void;
  create_dataset(args: { name: string; data: Float32Array; shape: number[]; dtype: string }): unknown;
}

/** Writes one layer's weights the way Keras 3 does: own params in `vars`, sub-layers in groups by attribute. */
function writeLayerVars(g: H5Writer, layer: Layer, modules: Map<string, Layer>): void {
  const vars = g.create_group('vars');
  vars.create_attribute('name', layer.name);
  const own = layer.namedParameters().filter(([n]) => !n.includes('.'));
  own.forEach(([, p], i) => {
    const v = p.value;
    vars.create_dataset({
      name: String(i),
      data: Float32Array.from(v.dataSync() as ArrayLike<number>),
      shape: [...v.shape],
      dtype: '<f4',
    });
  });
  for (const [name, m] of modules) {
    if (!(m instanceof Layer)) continue;
    const sub = new Map<string, Layer>();
    for (const [n, c] of m.namedModules()) if (!n.includes('.')) sub.set(n, c as Layer);
    writeLayerVars(g.create_group(name), m, sub);
  }
}

/** The direct sub-modules of a layer, by attribute name. */
function directChildren(layer: Layer): Map<string, Layer> {
  const out = new Map<string, Layer>();
  for (const [n, m] of layer.namedModules()) if (!n.includes('.')) out.set(n, m as Layer);
  return out;
}

/**
 * A Keras 3 `.keras` archive of the model: metadata.json, config.json and model.weights.h5 (written
 * with h5wasm, loaded on first use). Keras itself cannot run here to check it; recur's reader
 * reads it back, and it follows the layout of keras 3.15's saving_lib.
 */
export async function writeKeras3(model: Model, compileConfig: Record<string, unknown> | null): Promise<Uint8Array> {
  const h5wasm = (await import('h5wasm')) as unknown as {
    ready: Promise<{ FS: { readFile(p: string): Uint8Array; unlink(p: string): void } }>;
    File: new (path: string, mode: string) => H5Writer & { close(): void };
  };
  const { FS } = await h5wasm.ready;
  const path = `/recur-${Date.now()}-${Math.random().toString(36).slice(2)}.weights.h5`;
  const f = new h5wasm.File(path, 'w');
  let weights: Uint8Array;
  try {
    const rootVars = f.create_group('vars');
    rootVars.create_attribute('name', model.name);
    const layersGroup = f.create_group('layers');
    const listed = model instanceof Sequential ? model.layers : model.layers;
    const used = new Map<string, number>();
    for (const layer of listed) {
      const base = kerasSnake(layer.layerType);
      const n = used.get(base);
      used.set(base, n === undefined ? 0 : n + 1);
      const g = layersGroup.create_group(n === undefined ? base : `${base}_${n + 1}`);
      if (layer instanceof Functional)
        throw new RecurError(
          `${model.name}: saving a model nested in a model to .keras is not supported yet`,
          'unsupported',
        );
      writeLayerVars(g, layer, directChildren(layer));
    }
    f.close();
    weights = FS.readFile(path);
  } finally {
    try {
      FS.unlink(path);
    } catch {
      // already gone
    }
  }
  const topology = topologyOf(model, 'keras3');
  const isSeq = model instanceof Sequential;
  const config = {
    module: isSeq ? 'keras' : 'keras.src.models.functional',
    class_name: topology.class_name,
    config: topology.config,
    registered_name: isSeq ? null : 'Functional',
    build_config: { input_shape: isSeq ? model.inputs[0].shape : null },
    compile_config: compileConfig,
  };
  const metadata = { keras_version: '3.15.1', date_saved: new Date().toISOString(), saved_by: 'recur (@recur/keras)' };
  return zipSync(
    {
      'metadata.json': strToU8(JSON.stringify(metadata)),
      'config.json': strToU8(JSON.stringify(config)),
      'model.weights.h5': weights,
    },
    { level: 0 },
  );
}
