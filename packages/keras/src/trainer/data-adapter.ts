import {
  ConfigError,
  cast,
  concat,
  type DType,
  DTypeError,
  formatShape,
  gather,
  hostValues,
  type NestedArray,
  ShapeError,
  sizeOf,
  slice,
  Tensor,
  type TypedArray,
  tensor,
} from '@recur/tensor';
import { type ArrayInput, toTensor } from '../engine/layer';
import type { SymbolicTensor } from '../engine/symbolic';

/*
 * Keras' data adapters (trainers/data_adapters): what fit, evaluate and predict take — arrays by
 * input and output, or an (async) iterable of batches — as batches of tensors.
 */

/** What predict / fit / evaluate take for inputs or targets: one array-like, a list, or a map by name. */
export type DataInput = ArrayInput | ArrayInput[] | Record<string, ArrayInput>;

/** Tensors made from user data, with the ones this code created (to dispose). */
export interface Batchable {
  tensors: Tensor[];
  owned: Tensor[];
}

/** A typed array without a shape gets the symbolic shape's known sizes, the batch from its length. */
function fromTypedArray(what: string, values: TypedArray, shape: readonly (number | null)[], dtype: DType): Tensor {
  const rest = shape.slice(1);
  if (rest.some((d) => d === null)) {
    throw new ShapeError(
      `${what}: a flat typed array needs a fully known shape to be reshaped, but ${JSON.stringify(shape)} has free axes; pass a tensor`,
    );
  }
  const per = sizeOf(rest as number[]);
  if (values.length % per !== 0) {
    throw new ShapeError(
      `${what}: ${values.length} values do not fill rows of ${JSON.stringify(rest)} (${per} values each)`,
    );
  }
  return tensor(values, { shape: [values.length / per, ...(rest as number[])], dtype });
}

/** One array-like as a tensor of the dtype the model input (or output) wants. */
export function asTensor(
  what: string,
  value: ArrayInput,
  like: SymbolicTensor | null,
  dtype?: DType,
): { t: Tensor; owned: boolean } {
  const want: DType = dtype ?? (like?.dtype === 'int32' ? 'int32' : 'float32');
  if (value instanceof Tensor) {
    if (value.dtype === want || (want === 'float32' && value.dtype === 'float64')) return { t: value, owned: false };
    if (want === 'int32' && (value.dtype === 'float32' || value.dtype === 'float64')) {
      // Checked where the backend reads synchronously; a GPU backend casts as TensorFlow.js does.
      const v = hostValues(value) ?? [];
      for (let i = 0; i < v.length; i++) {
        if (!Number.isInteger(v[i])) {
          throw new DTypeError(`${what}: expected whole numbers for an int32 input, got ${v[i]} at flat position ${i}`);
        }
      }
    }
    return { t: cast(value, want), owned: true };
  }
  if (ArrayBuffer.isView(value)) {
    const shape = like?.shape ?? [null, (value as TypedArray).length];
    const t = like
      ? fromTypedArray(what, value as TypedArray, shape, want)
      : tensor(value as TypedArray, { dtype: want });
    return { t, owned: true };
  }
  if (Array.isArray(value) || typeof value === 'number') {
    if (want === 'int32') {
      const flat = (value as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
      const bad = flat.findIndex((v) => !Number.isInteger(v));
      if (bad >= 0)
        throw new DTypeError(
          `${what}: expected whole numbers for an int32 input, got ${flat[bad]} at flat position ${bad}`,
        );
    }
    return { t: tensor(value as NestedArray, { dtype: want }), owned: true };
  }
  throw new ConfigError(`${what}: expected a tensor, nested arrays or a typed array, got ${typeof value}`);
}

/**
 * Inputs (or targets) of a model as one tensor per symbolic tensor, in order: a single array-like
 * for one input, a list, or an object keyed by input (layer) name.
 */
export function toTensors(
  what: string,
  x: DataInput,
  expected: SymbolicTensor[],
  dtypes?: (DType | undefined)[],
): Batchable {
  let list: ArrayInput[];
  if (x instanceof Tensor || ArrayBuffer.isView(x) || typeof x === 'number') {
    list = [x as ArrayInput];
  } else if (Array.isArray(x)) {
    // One input: x is that input's nested array, unless it is a one-element list of a tensor.
    const wrapped = x.length === 1 && (x[0] instanceof Tensor || ArrayBuffer.isView(x[0]));
    list = expected.length === 1 && !wrapped ? [x as ArrayInput] : (x as ArrayInput[]);
  } else if (x && typeof x === 'object') {
    const byName = x as Record<string, ArrayInput>;
    list = expected.map((t) => {
      const name = t.node.layer.name;
      if (!(name in byName))
        throw new ConfigError(`${what}: no entry for '${name}' (got ${Object.keys(byName).join(', ')})`);
      return byName[name];
    });
  } else {
    throw new ConfigError(`${what}: expected tensors, arrays or an object keyed by name, got ${typeof x}`);
  }
  if (list.length !== expected.length) {
    throw new ConfigError(
      `${what}: the model has ${expected.length} ${what.startsWith('target') ? 'output' : 'input'}(s) (${expected.map((t) => t.node.layer.name).join(', ')}), got ${list.length} array(s)`,
    );
  }
  const owned: Tensor[] = [];
  const tensors = list.map((v, i) => {
    const { t, owned: o } = asTensor(`${what} '${expected[i].node.layer.name}'`, v, expected[i], dtypes?.[i]);
    if (o) owned.push(t);
    return t;
  });
  const n = tensors[0].rank ? tensors[0].shape[0] : 0;
  tensors.forEach((t, i) => {
    if (t.rank === 0 || t.shape[0] !== n) {
      throw new ShapeError(
        `${what}: every array needs the same number of samples on axis 0; '${expected[0].node.layer.name}' has ${n}, '${expected[i].node.layer.name}' has ${formatShape(t.shape)}`,
      );
    }
  });
  return { tensors, owned };
}

/** Rows [start, end) of each tensor. */
export function rows(tensors: Tensor[], start: number, end: number): Tensor[] {
  return tensors.map((t) =>
    slice(t, [start, ...t.shape.slice(1).map(() => 0)], [end - start, ...t.shape.slice(1).map(() => -1)]),
  );
}

/** The given rows of each tensor, in that order. */
export function pick(tensors: Tensor[], indices: Int32Array): Tensor[] {
  const idx = tensor(indices, { dtype: 'int32' });
  try {
    return tensors.map((t) => gather(t, idx, 0));
  } finally {
    idx.dispose();
  }
}

/** Concatenates per-batch outputs along the batch axis. */
export function joinBatches(batches: Tensor[][]): Tensor[] {
  if (batches.length === 1) return batches[0];
  return batches[0].map((_, i) =>
    concat(
      batches.map((b) => b[i]),
      0,
    ),
  );
}

/** A batch for a step: inputs, targets, per-sample weights (host values), its size, and the tensors made for it. */
export interface Batch {
  /** One tensor per model input. */
  xs: Tensor[];
  /** One tensor per model output. */
  ys: Tensor[];
  /** Per-sample weights, or null. */
  weights: Float64Array | null;
  /** Samples in the batch. */
  size: number;
  /** Tensors made for this batch (slices, conversions): freed after its step. */
  owned: Tensor[];
}

/** Inputs, targets and per-sample weights of a whole dataset given as arrays. */
export interface ArrayData {
  /** One tensor per model input. */
  xs: Tensor[];
  /** One tensor per model output. */
  ys: Tensor[];
  /** Per-sample weights, or null. */
  weights: Float64Array | null;
}

/** A batch of what fit takes besides x and y: [x, y] or { xs, ys, sampleWeight? }. */
export interface DataBatch {
  /** The batch's inputs. */
  xs: DataInput;
  /** The batch's targets. */
  ys: DataInput;
  /** Per-sample weights. */
  sampleWeight?: ArrayInput;
}

/** What fit accepts besides x and y: an (async) iterable of batches, re-iterated every epoch. */
export type BatchSource =
  | Iterable<DataBatch | [DataInput, DataInput]>
  | AsyncIterable<DataBatch | [DataInput, DataInput]>;

/** Per-sample weights from classWeight (by each target's class) times sampleWeight, or null for none. */
export function sampleWeights(
  ys: Tensor[],
  args: { classWeight?: Record<number, number>; sampleWeight?: ArrayInput },
): Float64Array | null {
  if (!args.classWeight && args.sampleWeight === undefined) return null;
  const n = ys[0].shape[0];
  const w = new Float64Array(n).fill(1);
  if (args.sampleWeight !== undefined) {
    const t = toTensor(args.sampleWeight, 'sampleWeight');
    try {
      const v = t.dataSync();
      if (v.length !== n) throw new ShapeError(`fit: sampleWeight has ${v.length} values for ${n} samples`);
      for (let i = 0; i < n; i++) w[i] = Number(v[i]);
    } finally {
      if (t !== args.sampleWeight) t.dispose();
    }
  }
  if (args.classWeight) {
    if (ys.length !== 1) throw new ConfigError('fit: classWeight is for models with one output; use sampleWeight');
    const y = ys[0];
    if (y.rank > 2)
      throw new ConfigError(
        `fit: classWeight needs targets of rank ≤ 2, got ${formatShape(y.shape)}; use sampleWeight`,
      );
    const v = y.dataSync();
    const per = y.size / n;
    for (let i = 0; i < n; i++) {
      let cls: number;
      if (per === 1) cls = Math.round(Number(v[i]));
      else {
        cls = 0;
        for (let c = 1; c < per; c++) if (v[i * per + c] > v[i * per + cls]) cls = c;
      }
      const cw = args.classWeight[cls];
      w[i] *= cw === undefined ? 1 : cw;
    }
  }
  return w;
}

/** The data's batches in `order`, one batch's copies alive at a time (contiguous rows slice, others gather). */
export function* arrayBatches(
  data: ArrayData,
  order: Int32Array,
  batchSize: number,
  contiguous: boolean,
): Generator<Batch> {
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.subarray(s, Math.min(order.length, s + batchSize));
    const xs = contiguous ? rows(data.xs, idx[0], idx[0] + idx.length) : pick(data.xs, idx);
    const ys = contiguous ? rows(data.ys, idx[0], idx[0] + idx.length) : pick(data.ys, idx);
    const weights = data.weights ? Float64Array.from(idx, (i) => data.weights?.[i] ?? 1) : null;
    yield { xs, ys, weights, size: idx.length, owned: [...xs, ...ys] };
  }
}

/** Batches of a BatchSource as tensors for the model's inputs and outputs (at most `limit` an epoch). */
export async function* sourceBatches(
  source: BatchSource,
  inputs: SymbolicTensor[],
  outputs: SymbolicTensor[],
  limit?: number,
): AsyncGenerator<Batch> {
  let count = 0;
  for await (const item of source as AsyncIterable<DataBatch | [DataInput, DataInput]>) {
    if (limit !== undefined && count >= limit) break;
    const b = Array.isArray(item) ? { xs: item[0], ys: item[1] } : item;
    if (!b || b.xs === undefined || b.ys === undefined) {
      throw new ConfigError(
        `fit: each batch should be [x, y] or { xs, ys, sampleWeight? }, got ${JSON.stringify(Object.keys(b ?? {}))}`,
      );
    }
    const x = toTensors('inputs', b.xs, inputs);
    const y = toTensors(
      'targets',
      b.ys,
      outputs,
      outputs.map(() => 'float32'),
    );
    count++;
    yield {
      xs: x.tensors,
      ys: y.tensors,
      weights: sampleWeights(y.tensors, { sampleWeight: b.sampleWeight }),
      size: x.tensors[0].shape[0],
      owned: [...x.owned, ...y.owned],
    };
  }
}

/** Whether fit's first argument is a source of batches (an async iterable, or a list of [x, y] / { xs, ys }). */
export function isBatchSource(x: unknown): x is BatchSource {
  if (!x || typeof x !== 'object') return false;
  if (Symbol.asyncIterator in x) return true;
  // A plain iterable of batches (a generator, a Set), not an array of numbers or tensors.
  if (!Array.isArray(x) && Symbol.iterator in x && !ArrayBuffer.isView(x) && !(x instanceof Tensor)) return true;
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every(
      (b) =>
        (b && typeof b === 'object' && 'xs' in b && 'ys' in b) ||
        (Array.isArray(b) && b.length === 2 && !b.every((v) => typeof v === 'number') && isTensorLike(b[0])),
    ) &&
    !x.every(isTensorLike)
  );
}

function isTensorLike(v: unknown): boolean {
  return !!v && typeof v === 'object' && 'shape' in (v as object) && 'dtype' in (v as object);
}
