import type { Module } from '@recur/layers';
import { type ExportOptions, exportOnnx } from '@recur/onnx';
import { type DType, getBackend, Tensor, type TypedArray, UnsupportedError } from '@recur/tensor';
import * as ort from 'onnxruntime-node';

/** Options passed through to onnxruntime's InferenceSession. */
export interface OrtSessionOptions {
  /** Threads within one operator (default 1). */
  intraOpNumThreads?: number;
  /** Threads across independent operators (default 1). */
  interOpNumThreads?: number;
  /** onnxruntime's graph optimisations (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Run operators one after another or in parallel (default 'sequential'). */
  executionMode?: 'sequential' | 'parallel';
}

const ORT_TYPE: Record<string, 'float32' | 'float64' | 'int32' | 'int64' | 'bool'> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  bool: 'bool',
};

/** recur's dtype for each onnxruntime output type it reads. */
const RECUR_TYPE: Record<string, DType | undefined> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int32',
  bool: 'bool',
};

/**
 * A model compiled into one onnxruntime InferenceSession. Feeds and results are recur tensors;
 * int32 feeds go in as int64 where the model declares int64 (token ids).
 */
export class OrtModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly int64Inputs: Set<string>,
  ) {}

  /** Compiles ONNX bytes (an imported model, or an export), or a file path (external data is read next to it). */
  static async fromOnnx(bytes: Uint8Array | string, options: OrtSessionOptions = {}): Promise<OrtModel> {
    const session = await ort.InferenceSession.create(bytes as Uint8Array, {
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: options.interOpNumThreads ?? 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionMode: options.executionMode ?? 'sequential',
    });
    const int64 = new Set<string>();
    session.inputNames.forEach((name, i) => {
      const meta = (session as unknown as { inputMetadata?: { type?: string }[] }).inputMetadata?.[i];
      if (meta?.type === 'int64') int64.add(name);
    });
    return new OrtModel(session, int64);
  }

  /** Compiles a recur model through the ONNX exporter. */
  static async fromModule(model: Module, options: OrtSessionOptions & ExportOptions = {}): Promise<OrtModel> {
    return OrtModel.fromOnnx(exportOnnx(model, options), options);
  }

  /** The session's input names, in the model's order. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** The session's output names, in the model's order. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the session; the results are new recur tensors on the current backend. */
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      // The backend's own array, not a copy (backend-js keeps typed arrays).
      const values = t.backend.read?.(t.storage) ?? (await t.data());
      ortFeeds[name] = this.int64Inputs.has(name)
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from(values as Int32Array, (v) => BigInt(v)),
            [...t.shape],
          )
        : new ort.Tensor(ORT_TYPE[t.dtype], values as Float32Array, [...t.shape]);
    }
    const out = await this.session.run(ortFeeds);
    const result: Record<string, Tensor> = {};
    const backend = getBackend();
    for (const [name, v] of Object.entries(out)) {
      if (v.type === 'string')
        throw new UnsupportedError(`OrtModel: output '${name}' holds strings; recur reads numbers only`);
      // onnxruntime hands back fresh buffers: they become the tensors' storage without a copy
      // (an 8 MB output copy was 30% of a MatMul graph's run). int64 ids narrow to int32; other
      // numeric types (int8, uint16, float16, …) are read as float32, as before.
      const dtype = RECUR_TYPE[v.type] ?? 'float32';
      const data =
        v.type === 'int64'
          ? Int32Array.from(v.data as BigInt64Array, (x) => Number(x))
          : RECUR_TYPE[v.type]
            ? v.data
            : Float32Array.from(v.data as ArrayLike<number>);
      result[name] = new Tensor(backend.fromValues(data as TypedArray, [...v.dims], dtype), backend);
    }
    return result;
  }

  /** Frees the InferenceSession; the model cannot run afterwards. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A compiled model and what it was compiled from: its parameters' tensors and the options. */
interface Compiled {
  session: Promise<OrtModel>;
  weights: unknown[];
  options: string;
}

const cache = new WeakMap<Module, Compiled>();

/**
 * The session for a recur model, compiled on first use and cached per model. It is compiled again
 * (and the old session released) when the model's weights have changed since — an optimizer step
 * or `loadStateDict` gives a parameter a new tensor — or when other options are passed; `release`
 * drops it when the model is done.
 */
export function compile(model: Module, options: OrtSessionOptions & ExportOptions = {}): Promise<OrtModel> {
  const weights = model.parameters().map((p) => p.value);
  const key = JSON.stringify(options);
  const cached = cache.get(model);
  if (cached && cached.options === key && sameTensors(cached.weights, weights)) return cached.session;
  if (cached) void cached.session.then((old) => old.release()).catch(() => {});
  const session = OrtModel.fromModule(model, options);
  cache.set(model, { session, weights, options: key });
  return session;
}

const sameTensors = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** Drops the model's compiled session (from `compile`) and frees it. */
export async function release(model: Module): Promise<void> {
  const cached = cache.get(model);
  cache.delete(model);
  if (cached) await (await cached.session).release();
}
