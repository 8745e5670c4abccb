import { ConfigError, FormatError } from '@recur/tensor';
import type { LayerClass } from '../engine/config';
import type { Model } from '../model';
import { compileFromJson } from './compile-json';
import { readLegacyH5 } from './h5-legacy';
import { readKeras3 } from './keras3-format';
import { detectModelFile } from './model-files';
import { decodeModel } from './recur-format';
import { bytesFiles, fileListFiles, type ModelFiles, nodeFiles, urlFiles } from './sources';
import { type ModelJson, readModelJson, type WeightSpec } from './tfjs-format';

/** tfjs' ModelArtifacts (what an IOHandler's load() returns). */
export interface ModelArtifacts {
  /** The model's topology (model.json's modelTopology). */
  modelTopology: Record<string, unknown>;
  /** The weights' names, shapes and dtypes, in data order. */
  weightSpecs?: WeightSpec[];
  /** The weights' bytes (one buffer, or tfjs 4's list of buffers). */
  weightData?: ArrayBuffer | ArrayBuffer[];
  /** model.json's format ('layers-model'). */
  format?: string;
  /** What wrote the topology (e.g. 'keras v2.15'). */
  generatedBy?: string;
  /** What converted it (e.g. 'TensorFlow.js Converter v4'). */
  convertedBy?: string | null;
  /** How the model was compiled. */
  trainingConfig?: Record<string, unknown>;
  /** Anything the saver added. */
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * Where a model comes from: a path (Node) or URL, the bytes of a single-file model (.keras, .h5,
 * recur's file, a shard-less model.json), browser `File`s (model.json with its shards), or a tfjs
 * IOHandler / ModelArtifacts.
 */
export type ModelSource =
  | string
  | URL
  | ArrayBuffer
  | Uint8Array
  | Blob
  | ArrayLike<
      Blob & {
        /** The file's name (model.json, a shard's name). */
        name: string;
      }
    >
  | {
      /** A tfjs IOHandler's load. */
      load(): Promise<ModelArtifacts>;
    }
  | ModelArtifacts;

/** How `loadModel` reads a model. */
export interface LoadOptions {
  /** Compile the model from the file's training config when there is one (default true). */
  compile?: boolean;
  /**
   * Classes by the names configs use, looked up before those given to `registerLayer` (Keras'
   * `custom_objects`): a custom layer or cell, or a new cell kind's `recurrentClasses(spec)`.
   */
  customObjects?: Record<string, LayerClass>;
}

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

async function filesOf(source: ModelSource): Promise<ModelFiles> {
  if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (/^(https?|blob|data):/i.test(s) || !isNode()) return urlFiles(s);
    return nodeFiles(s.replace(/^file:\/\//, ''));
  }
  if (source instanceof Uint8Array) return bytesFiles(source);
  if (source instanceof ArrayBuffer) return bytesFiles(new Uint8Array(source));
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return bytesFiles(new Uint8Array(await source.arrayBuffer()), (source as Blob & { name?: string }).name ?? 'model');
  }
  if (source && typeof source === 'object' && 'length' in source)
    return fileListFiles(source as ArrayLike<Blob & { name: string }>);
  throw new ConfigError(`loadModel: cannot read a model from ${typeof source}`);
}

/** Builds a model from tfjs artifacts (weights in one buffer, as tfjs' IOHandlers give them). */
async function fromArtifacts(
  a: ModelArtifacts,
  where: string,
  options: LoadOptions,
): Promise<{ model: Model; trainingConfig?: Record<string, unknown>; userDefinedMetadata?: Record<string, unknown> }> {
  const data = Array.isArray(a.weightData)
    ? a.weightData.map((b) => new Uint8Array(b))
    : a.weightData
      ? [new Uint8Array(a.weightData)]
      : [];
  const names = data.map((_, i) => `weights-${i}`);
  const json: ModelJson = {
    modelTopology: a.modelTopology,
    weightsManifest: a.weightSpecs ? [{ paths: names, weights: a.weightSpecs }] : [],
    format: a.format,
    trainingConfig: a.trainingConfig,
    userDefinedMetadata: a.userDefinedMetadata,
  };
  const files: ModelFiles = {
    where,
    main: 'artifacts',
    read: async (n) => data[names.indexOf(n)] ?? new Uint8Array(0),
  };
  return readModelJson(json, files, { customObjects: options.customObjects });
}

function maybeCompile(model: Model, config: Record<string, unknown> | undefined, options: LoadOptions): void {
  if (!config || options.compile === false || Object.keys(config).length === 0) return;
  try {
    model.compile(compileFromJson(config));
  } catch {
    // A training config recur cannot express (a custom loss, say) leaves the model uncompiled; it stays readable.
  }
  (model as { trainingConfig?: Record<string, unknown> }).trainingConfig = config;
}

/**
 * Loads a whole model — architecture and weights, without running any initializer — from any of
 * the files recur reads: TensorFlow.js `model.json` (+ shards), Keras 3 `.keras`, legacy Keras 2
 * `.h5`, or recur's own model file. The format is recognised from the contents.
 *
 * @example
 * ```ts
 * import { Dense, loadModel, Sequential } from '@recur/keras';
 * import type { Tensor } from '@recur/tensor';
 * // In Node, a path: loadModel('model.keras'), loadModel('web/model.json'), loadModel('old.h5').
 * // Bytes and browser Files work too: the format is recognised from the contents.
 * const original = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
 * const { files } = await original.save(undefined, { format: 'keras' });
 * const model = await loadModel(files['model.keras']);
 * console.log((model.predict([[1, 2, 3]]) as Tensor).shape); // [1, 2]
 * ```
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  if (
    source &&
    typeof source === 'object' &&
    'load' in source &&
    typeof (source as { load: unknown }).load === 'function'
  ) {
    const a = await (source as { load(): Promise<ModelArtifacts> }).load();
    const r = await fromArtifacts(a, 'IOHandler', options);
    return finish(r.model, r.trainingConfig, r.userDefinedMetadata, options);
  }
  if (source && typeof source === 'object' && 'modelTopology' in source) {
    const r = await fromArtifacts(source as ModelArtifacts, 'artifacts', options);
    return finish(r.model, r.trainingConfig, r.userDefinedMetadata, options);
  }
  const files = await filesOf(source);
  const bytes = await files.read(files.main);
  const where = files.where;
  const classes = { customObjects: options.customObjects };
  // What the file holds decides how it is read (model-files.ts: one detection for every reader).
  const format = detectModelFile(bytes, files.main);
  switch (format?.name) {
    case 'keras': {
      const r = await readKeras3(where, bytes, classes);
      return finish(r.model, r.compileConfig, undefined, options);
    }
    case 'h5': {
      const r = await readLegacyH5(where, bytes, classes);
      return finish(r.model, r.trainingConfig, undefined, options);
    }
    case 'recur':
      return decodeModel(bytes, where, classes);
    case 'tfjs': {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new FormatError(`not valid JSON (${(e as Error).message})`, { file: where });
      }
      const r = await readModelJson(json, files, classes);
      return finish(r.model, r.trainingConfig, r.userDefinedMetadata, options);
    }
    case 'checkpoint':
      throw new FormatError(
        'a recur checkpoint holds weights, not a Keras model: load it with loadCheckpoint (@recur/train) into the model it was saved from',
        { file: where },
      );
    case 'onnx':
      throw new FormatError('an ONNX file: load it with OnnxModel.load (@recur/onnx), or liftOnnx to train it', {
        file: where,
      });
    default:
      throw new FormatError(
        `not a model file recur knows (a tfjs model.json, a Keras .keras or .h5, or recur's own); it starts with bytes ${Array.from(bytes.subarray(0, 8)).join(' ')}`,
        { file: where },
      );
  }
}

function finish(
  model: Model,
  training: Record<string, unknown> | undefined,
  userDefinedMetadata: Record<string, unknown> | undefined,
  options: LoadOptions,
): Model {
  maybeCompile(model, training, options);
  if (userDefinedMetadata)
    (model as { userDefinedMetadata?: Record<string, unknown> }).userDefinedMetadata = userDefinedMetadata;
  return model;
}

/**
 * A drop-in for tfjs' `tf.loadLayersModel`: a model.json path or URL (shards next to it), browser
 * Files, or an IOHandler. Any other model file recur reads works too.
 *
 * @example
 * ```ts
 * import { Dense, loadLayersModel, Sequential } from '@recur/keras';
 * import type { Tensor } from '@recur/tensor';
 * // As tf.loadLayersModel: loadLayersModel('https://example.com/model/model.json') or a path in Node.
 * const original = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
 * const { files } = await original.save(undefined, { format: 'tfjs' });
 * const json = JSON.parse(new TextDecoder().decode(files['model.json']));
 * const model = await loadLayersModel({
 *   // an IOHandler, as tfjs' io.fromMemory gives: topology, weight specs and their bytes
 *   load: async () => ({
 *     modelTopology: json.modelTopology,
 *     weightSpecs: json.weightsManifest[0].weights,
 *     weightData: files['weights.bin'].slice().buffer,
 *   }),
 * });
 * console.log(Object.keys(files), (model.predict([[1, 2, 3]]) as Tensor).shape); // ['model.json', 'weights.bin'] [1, 2]
 * ```
 */
export function loadLayersModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  return loadModel(source, options);
}
