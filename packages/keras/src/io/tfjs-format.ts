import { checkElements, FormatError, formatShape, type Tensor, tensor, UnsupportedError } from '@recur/tensor';
import { Functional } from '../engine/functional';
import type { Layer } from '../engine/layer';
import { Bidirectional } from '../layers/index';
import type { Model } from '../model';
import { Sequential } from '../sequential';
import type { ModelFiles } from './sources';
import { type LoadClasses, loadContext, modelFromTopology, topologyOf } from './topology';

import { type WeightEntry, WeightPlan } from './weights';

/** A weight as a tfjs manifest describes it. */
export interface WeightSpec {
  /** The weight's name ('lstm/lstm_cell/kernel'). */
  name: string;
  /** Its shape. */
  shape: number[];
  /** Its dtype as stored ('float32', 'int32', ...). */
  dtype: string;
  /** How it was quantized, when it was (uint8 / uint16 / float16), and how to dequantize. */
  quantization?: {
    /** The stored dtype. */
    dtype: string;
    /** uint8 / uint16: the value of 0. */
    min?: number;
    /** uint8 / uint16: the step between values. */
    scale?: number;
    /** The dtype before quantization. */
    original_dtype?: string;
  };
  /** 'optimizer' for an optimizer's weight (recur skips those). */
  group?: string;
}

/** tfjs' model.json (ModelJSON). */
export interface ModelJson {
  /** The model's Keras topology. */
  modelTopology: Record<string, unknown>;
  /** Weight groups: the shard files and the weights they hold, in order. */
  weightsManifest?: {
    /** Shard files, relative to model.json, read as one buffer. */
    paths: string[];
    /** The weights in those shards, in order. */
    weights: WeightSpec[];
  }[];
  /** 'layers-model'. */
  format?: string;
  /** What wrote the topology. */
  generatedBy?: string;
  /** What converted it. */
  convertedBy?: string | null;
  /** How the model was compiled. */
  trainingConfig?: Record<string, unknown>;
  /** Anything the saver added. */
  userDefinedMetadata?: Record<string, unknown>;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** IEEE half-precision bits → number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function validate(where: string, w: unknown, i: number): WeightSpec {
  const s = w as WeightSpec;
  if (!s || typeof s.name !== 'string')
    throw new FormatError(`weightsManifest entry ${i} has no name`, { file: where });
  if (!Array.isArray(s.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new FormatError(
      `weight '${s.name}': shape should be a list of non-negative integers, got ${JSON.stringify(s.shape)}`,
      { file: where, entry: s.name },
    );
  }
  checkElements(`${where}: weight '${s.name}'`, s.shape);
  const q = s.quantization?.dtype;
  if (q !== undefined && !['uint8', 'uint16', 'float16'].includes(q)) {
    throw new FormatError(`weight '${s.name}': unknown quantization dtype '${q}' (uint8, uint16, float16)`, {
      file: where,
      entry: s.name,
    });
  }
  if (q === undefined && !['float32', 'int32', 'bool'].includes(s.dtype)) {
    throw new FormatError(`weight '${s.name}': unknown dtype '${s.dtype}' (float32, int32, bool)`, {
      file: where,
      entry: s.name,
    });
  }
  if (
    (q === 'uint8' || q === 'uint16') &&
    (typeof s.quantization?.min !== 'number' || typeof s.quantization?.scale !== 'number')
  ) {
    throw new FormatError(`weight '${s.name}': ${q} quantization needs numeric min and scale`, {
      file: where,
      entry: s.name,
    });
  }
  return s;
}

/** Decodes one weight from its bytes as tfjs does (dequantizing uint8 / uint16 / float16 to float32). */
function decode(spec: WeightSpec, bytes: Uint8Array): Tensor {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (q?.dtype === 'float16') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = half(view.getUint16(2 * i, true));
    return tensor(out, { shape: spec.shape, adopt: true });
  }
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    const out = spec.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    const { min = 0, scale = 1 } = q;
    for (let i = 0; i < n; i++) {
      const v = q.dtype === 'uint8' ? bytes[i] : view.getUint16(2 * i, true);
      out[i] = spec.dtype === 'int32' ? Math.round(v * scale + min) : v * scale + min;
    }
    return tensor(out, { shape: spec.shape, adopt: true });
  }
  if (spec.dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
    return tensor(out, { shape: spec.shape, dtype: 'int32', adopt: true });
  }
  if (spec.dtype === 'bool')
    return tensor(
      Uint8Array.from(bytes.subarray(0, n), (v) => (v ? 1 : 0)),
      { shape: spec.shape, dtype: 'bool' },
    );
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return tensor(out, { shape: spec.shape, adopt: true });
}

/**
 * The weights of a manifest as lazily decoded entries: each group's shards concatenated, then
 * the weights read one after another. Sizes are checked against the bytes first, so a short or
 * long shard is an error naming the weight and its offset.
 */
export async function manifestEntries(
  where: string,
  manifest: NonNullable<ModelJson['weightsManifest']>,
  files: ModelFiles,
): Promise<{ model: WeightEntry[]; optimizer: WeightSpec[] }> {
  if (!Array.isArray(manifest)) throw new FormatError('weightsManifest should be a list of groups', { file: where });
  const model: WeightEntry[] = [];
  const optimizer: WeightSpec[] = [];
  for (const [g, group] of manifest.entries()) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new FormatError(`weightsManifest group ${g} should have 'paths' and 'weights' lists`, { file: where });
    }
    const specs = group.weights.map((w, i) => validate(where, w, i));
    const parts = await Promise.all(group.paths.map((p) => files.read(p)));
    const total = parts.reduce((a, p) => a + p.length, 0);
    // One shard is read in place; several are joined (a weight may span two).
    const buffer = parts.length === 1 ? parts[0] : new Uint8Array(total);
    if (parts.length > 1) {
      let o = 0;
      for (const p of parts) {
        buffer.set(p, o);
        o += p.length;
      }
    }
    let offset = 0;
    for (const spec of specs) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const size = n * BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (offset + size > total) {
        throw new FormatError(
          `weight '${spec.name}' ${formatShape(spec.shape)} needs bytes ${offset}..${offset + size} but the shards (${group.paths.join(', ')}) hold ${total} bytes`,
          { file: where, entry: spec.name, offset },
        );
      }
      const bytes = buffer.subarray(offset, offset + size);
      offset += size;
      if (spec.group === 'optimizer') {
        optimizer.push(spec);
        continue;
      }
      model.push({
        path: spec.name,
        name: spec.name.split('/').pop(),
        shape: spec.shape,
        load: () => decode(spec, bytes),
      });
    }
    if (offset !== total) {
      throw new FormatError(
        `the shards of group ${g} (${group.paths.join(', ')}) hold ${total} bytes, but the manifest describes ${offset}`,
        { file: where, offset },
      );
    }
  }
  return { model, optimizer };
}

/** Groups entries by the layer their name starts with (tfjs names weights `<layer>/.../<weight>`). */
export function byTopLayer(entries: WeightEntry[]): Map<string, WeightEntry[]> {
  const out = new Map<string, WeightEntry[]>();
  for (const e of entries) {
    const layer = e.path.split('/')[0];
    out.set(layer, [...(out.get(layer) ?? []), e]);
  }
  return out;
}

/** Reads a tfjs model.json (and its shards): the model, its training config and metadata. */
export async function readModelJson(
  json: unknown,
  files: ModelFiles,
  classes: LoadClasses = {},
): Promise<{ model: Model; trainingConfig?: Record<string, unknown>; userDefinedMetadata?: Record<string, unknown> }> {
  const where = files.where;
  if (!json || typeof json !== 'object' || !('modelTopology' in json)) {
    throw new FormatError("not a TensorFlow.js layers model: model.json has no 'modelTopology'", { file: where });
  }
  const topology = (json as { modelTopology: unknown }).modelTopology;
  if (!topology || typeof topology !== 'object' || Array.isArray(topology)) {
    throw new FormatError(`modelTopology should be an object, got ${JSON.stringify(topology)?.slice(0, 60)}`, {
      file: where,
    });
  }
  const m = json as ModelJson;
  if (m.format !== undefined && m.format !== 'layers-model') {
    throw new UnsupportedError(`${where}: format '${m.format}' is a tfjs graph model; recur reads layers models`);
  }
  const { model: entries } = await manifestEntries(where, m.weightsManifest ?? [], files);
  const flavor = String((m.modelTopology as { keras_version?: string }).keras_version ?? '').startsWith('tfjs')
    ? 'tfjs'
    : 'keras2';
  const plan = new WeightPlan(where, byTopLayer(entries));
  const model = modelFromTopology(m.modelTopology, flavor, where, loadContext(plan, classes));
  plan.finish(model);
  return { model, trainingConfig: m.trainingConfig, userDefinedMetadata: m.userDefinedMetadata };
}

/** tfjs' weight names for a layer's weights: `<layer>/<weight>`, Bidirectional `<bi>/forward_<inner>/<weight>`. */
export function tfjsWeightNames(layer: Layer): {
  /** The weight's tfjs name. */
  name: string;
  /** Its value. */
  tensor: Tensor;
}[] {
  const out: { name: string; tensor: Tensor }[] = [];
  for (const [path, p] of layer.namedParameters()) {
    const parts = path.split('.');
    const weight = parts[parts.length - 1];
    let name = `${layer.name}/${weight}`;
    if (layer instanceof Bidirectional) {
      const inner = (parts[0] === 'forward_layer' ? layer.forwardLayer : layer.backwardLayer).name.replace(
        /^(forward|backward)_/,
        '',
      );
      name = `${layer.name}/${parts[0] === 'forward_layer' ? 'forward' : 'backward'}_${inner}/${weight}`;
    } else if (layer instanceof Functional) {
      name = `${parts[0]}/${weight}`;
    }
    out.push({ name, tensor: p.value });
  }
  return out;
}

/** model.json + one weights.bin, as tfjs' file:// save writes them (loadable by tf.loadLayersModel). */
export function writeModelJson(
  model: Model,
  options: { weightsFile?: string } = {},
): {
  /** model.json. */
  json: ModelJson;
  /** weights.bin. */
  weights: Uint8Array;
} {
  const weightsFile = options.weightsFile ?? 'weights.bin';
  const specs: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const layers = model instanceof Sequential ? model.layers : model.layers;
  for (const layer of layers) {
    for (const { name, tensor: t } of tfjsWeightNames(layer)) {
      specs.push({ name, shape: [...t.shape], dtype: 'float32' });
      chunks.push(
        t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as ArrayLike<number>),
      );
    }
  }
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    weights.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), o);
    o += c.byteLength;
  }
  const topology = topologyOf(model, 'tfjs');
  const json: ModelJson = {
    modelTopology: { ...topology, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: [weightsFile], weights: specs }],
    format: 'layers-model',
    generatedBy: 'recur (@recur/keras)',
    convertedBy: null,
  };
  // What the model was loaded with (a vocabulary, say) goes back out as tfjs keeps it.
  if (model.userDefinedMetadata) json.userDefinedMetadata = model.userDefinedMetadata;
  return { json, weights };
}
