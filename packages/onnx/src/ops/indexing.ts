import { FormatError, formatShape, ShapeError, UnsupportedError } from '@recur/tensor';
import { arrayFor, fromHost, stridesOf } from './host';
import { axis, input, int, ints, num, type OpContext, type OpImpl, str, values } from './op';
import { gather, pad, type Tensor, tensor } from './tensor-ops';

/** Index values with negatives counted from the end, each checked against its axis size. */
function indexValues(c: OpContext, t: Tensor, size: (i: number) => number): number[] {
  const v = values(t, c, 'indices') as number[];
  return v.map((raw, i) => {
    const d = size(i);
    const j = raw < 0 ? raw + d : raw;
    if (j < 0 || j >= d) throw new ShapeError(`${c.node}: index ${raw} is out of range for an axis of size ${d}`);
    return j;
  });
}

/** Visits every coordinate of `shape` in row-major order. */
function forEachCoord(shape: readonly number[], f: (coord: number[], flat: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const coord = new Array(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(coord, flat);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++coord[k] < shape[k]) break;
      coord[k] = 0;
    }
  }
}

/**
 * A tensor of `shape` whose element at each coordinate is x's element at `source(axis, j)` along
 * every axis (Tile, Pad); a source index of -1 on any axis gives `fill`.
 */
function fromSourceIndex(x: Tensor, shape: number[], source: (axis: number, j: number) => number, fill = 0): Tensor {
  const src = x.dataSync();
  const xs = stridesOf(x.shape);
  const out = arrayFor(
    x.dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  forEachCoord(shape, (coord, flat) => {
    let o = 0;
    for (let k = 0; k < coord.length; k++) {
      const j = source(k, coord[k]);
      if (j < 0) return void (out[flat] = fill);
      o += j * xs[k];
    }
    out[flat] = src[o];
  });
  return fromHost(out, shape, x.dtype);
}

function checkSameRank(c: OpContext, data: Tensor, indices: Tensor): void {
  if (indices.rank !== data.rank)
    throw new ShapeError(
      `${c.node}: indices ${formatShape(indices.shape)} should have the rank of data ${formatShape(data.shape)}`,
    );
}

function gatherElements(c: OpContext): Tensor[] {
  const data = input(c, 0, 'data');
  const indices = input(c, 1, 'indices');
  checkSameRank(c, data, indices);
  const a = axis(c, 'axis', 0, data.rank);
  const idx = indexValues(c, indices, () => data.shape[a]);
  const src = data.dataSync();
  const ds = stridesOf(data.shape);
  const out = arrayFor(data.dtype, idx.length);
  forEachCoord(indices.shape, (coord, flat) => {
    let o = 0;
    for (let k = 0; k < coord.length; k++) {
      if (k !== a && coord[k] >= data.shape[k])
        throw new ShapeError(`${c.node}: indices ${formatShape(indices.shape)} exceed data ${formatShape(data.shape)}`);
      o += (k === a ? idx[flat] : coord[k]) * ds[k];
    }
    out[flat] = src[o];
  });
  return [fromHost(out, indices.shape, data.dtype)];
}

type Reduction = (old: number, update: number) => number;
function reduction(c: OpContext): Reduction {
  const r = str(c, 'reduction', 'none');
  if (r === 'none') return (_o, u) => u;
  if (r === 'add') return (o, u) => o + u;
  if (r === 'mul') return (o, u) => o * u;
  if (r === 'max') return (o, u) => Math.max(o, u);
  if (r === 'min') return (o, u) => Math.min(o, u);
  throw new UnsupportedError(`${c.node}: reduction '${r}' is not one of none, add, mul, max, min`);
}

function scatterElements(c: OpContext): Tensor[] {
  const data = input(c, 0, 'data');
  const indices = input(c, 1, 'indices');
  const updates = input(c, 2, 'updates');
  checkSameRank(c, data, indices);
  if (formatShape(updates.shape) !== formatShape(indices.shape))
    throw new ShapeError(
      `${c.node}: updates ${formatShape(updates.shape)} should have the shape of indices ${formatShape(indices.shape)}`,
    );
  const a = axis(c, 'axis', 0, data.rank);
  const combine = reduction(c);
  const idx = indexValues(c, indices, () => data.shape[a]);
  const out = arrayFor(data.dtype, data.size);
  out.set(data.dataSync());
  const up = updates.dataSync();
  const ds = stridesOf(data.shape);
  forEachCoord(indices.shape, (coord, flat) => {
    let o = 0;
    for (let k = 0; k < coord.length; k++) o += (k === a ? idx[flat] : coord[k]) * ds[k];
    out[o] = combine(out[o], up[flat]);
  });
  return [fromHost(out, data.shape, data.dtype)];
}

/** The flat offsets and sizes of the slices GatherND / ScatterND address with their last index axis. */
function ndSlices(c: OpContext, data: Tensor, indices: Tensor, batchDims: number) {
  const q = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || q === undefined || q + batchDims > data.rank)
    throw new ShapeError(
      `${c.node}: indices ${formatShape(indices.shape)} address more axes than data ${formatShape(data.shape)} has`,
    );
  const ds = stridesOf(data.shape);
  const raw = values(indices, c, 'indices') as number[];
  const count = raw.length / q;
  const sliceSize = data.shape.slice(batchDims + q).reduce((a, b) => a * b, 1);
  const perBatch =
    count /
    Math.max(
      1,
      indices.shape.slice(0, batchDims).reduce((a, b) => a * b, 1),
    );
  const offsets = Array.from({ length: count }, (_, i) => {
    const batch = Math.floor(i / perBatch);
    let o = 0;
    let rest = batch;
    for (let k = batchDims - 1; k >= 0; k--) {
      o += (rest % data.shape[k]) * ds[k];
      rest = Math.floor(rest / data.shape[k]);
    }
    for (let j = 0; j < q; j++) {
      const d = data.shape[batchDims + j];
      const v = raw[i * q + j] < 0 ? raw[i * q + j] + d : raw[i * q + j];
      if (v < 0 || v >= d)
        throw new ShapeError(`${c.node}: index ${raw[i * q + j]} is out of range for an axis of size ${d}`);
      o += v * ds[batchDims + j];
    }
    return o;
  });
  return { offsets, sliceSize, q };
}

function gatherND(c: OpContext): Tensor[] {
  const data = input(c, 0, 'data');
  const indices = input(c, 1, 'indices');
  const b = int(c, 'batch_dims', 0);
  const { offsets, sliceSize, q } = ndSlices(c, data, indices, b);
  const src = data.dataSync();
  const out = arrayFor(data.dtype, offsets.length * sliceSize);
  offsets.forEach((o, i) => out.set(src.subarray(o, o + sliceSize), i * sliceSize));
  const shape = [...indices.shape.slice(0, -1), ...data.shape.slice(b + q)];
  return [fromHost(out, shape, data.dtype)];
}

function scatterND(c: OpContext): Tensor[] {
  const data = input(c, 0, 'data');
  const indices = input(c, 1, 'indices');
  const updates = input(c, 2, 'updates');
  const { offsets, sliceSize } = ndSlices(c, data, indices, 0);
  if (updates.size !== offsets.length * sliceSize)
    throw new ShapeError(
      `${c.node}: updates ${formatShape(updates.shape)} do not fill the ${offsets.length} addressed slices`,
    );
  const combine = reduction(c);
  const out = arrayFor(data.dtype, data.size);
  out.set(data.dataSync());
  const up = updates.dataSync();
  offsets.forEach((o, i) => {
    for (let j = 0; j < sliceSize; j++) out[o + j] = combine(out[o + j], up[i * sliceSize + j]);
  });
  return [fromHost(out, data.shape, data.dtype)];
}

function nonZero(c: OpContext): Tensor[] {
  const x = input(c, 0, 'X');
  const src = x.dataSync();
  const hits: number[][] = [];
  forEachCoord(x.shape, (coord, flat) => {
    if (src[flat] !== 0) hits.push([...coord]);
  });
  const out = new Int32Array(x.rank * hits.length);
  hits.forEach((coord, j) => coord.forEach((v, k) => (out[k * hits.length + j] = v)));
  return [fromHost(out, [x.rank, hits.length], 'int32')];
}

function tile(c: OpContext): Tensor[] {
  const x = input(c, 0, 'input');
  const repeats = values(input(c, 1, 'repeats'), c, 'repeats') as number[];
  if (repeats.length !== x.rank || repeats.some((r) => r < 0))
    throw new ShapeError(`${c.node}: repeats [${repeats.join(', ')}] should be ${x.rank} non-negative counts`);
  const shape = x.shape.map((d, i) => d * repeats[i]);
  return [fromSourceIndex(x, shape, (k, j) => j % x.shape[k])];
}

function trilu(c: OpContext): Tensor[] {
  const x = input(c, 0, 'input');
  if (x.rank < 2) throw new ShapeError(`${c.node}: input should have rank ≥ 2, got ${formatShape(x.shape)}`);
  const k = c.inputs[1] ? (values(c.inputs[1], c, 'k') as number[])[0] : 0;
  const upper = int(c, 'upper', 1) === 1;
  const src = x.dataSync();
  const out = arrayFor(x.dtype, src.length);
  const [R, C] = x.shape.slice(-2);
  for (let i = 0; i < src.length; i++) {
    const col = i % C;
    const row = Math.floor(i / C) % R;
    const keep = upper ? col - row >= k : col - row <= k;
    out[i] = keep ? src[i] : 0;
  }
  return [fromHost(out, x.shape, x.dtype)];
}

/** Pad: pads as an attribute before opset 11, then inputs (pads, constant_value, axes from 18). */
function onnxPad(c: OpContext): Tensor[] {
  const x = input(c, 0, 'data');
  const mode = str(c, 'mode', 'constant');
  let pads: number[];
  let value = 0;
  if (c.opset < 11) {
    pads = ints(c, 'pads') ?? [];
    value = num(c, 'value', 0);
  } else {
    pads = values(input(c, 1, 'pads'), c, 'pads') as number[];
    if (c.inputs[2]) value = c.inputs[2].dataSync()[0] ?? 0;
    const axes = c.inputs[3] ? (values(c.inputs[3], c, 'axes') as number[]) : null;
    if (axes) {
      const full = new Array(2 * x.rank).fill(0);
      axes.forEach((a0, i) => {
        const a = a0 < 0 ? a0 + x.rank : a0;
        full[a] = pads[i];
        full[a + x.rank] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * x.rank)
    throw new FormatError(`${c.node}: pads should hold ${2 * x.rank} values for rank ${x.rank}, got ${pads.length}`);
  const before = pads.slice(0, x.rank);
  const after = pads.slice(x.rank);
  if (mode === 'constant' && pads.every((p) => p >= 0)) {
    return [
      pad(
        x,
        before.map((b, i) => [b, after[i]] as [number, number]),
        value,
      ),
    ];
  }
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect' && mode !== 'wrap')
    throw new UnsupportedError(`${c.node}: Pad mode '${mode}' is not one of constant, edge, reflect, wrap`);
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  const source = (k: number, at: number): number => {
    const d = x.shape[k];
    const j = at - before[k];
    if (j >= 0 && j < d) return j;
    if (mode === 'constant') return -1;
    if (mode === 'edge') return Math.min(Math.max(j, 0), d - 1);
    if (mode === 'wrap') return ((j % d) + d) % d;
    const period = 2 * (d - 1) || 1; // reflect
    const r = ((j % period) + period) % period;
    return r >= d ? period - r : r;
  };
  return [fromSourceIndex(x, shape, source, value)];
}

function normalizeIndices(ctx: OpContext, indices: Tensor, dim: number): Tensor {
  const v = values(indices, ctx, 'indices') as number[];
  if (v.every((i) => i >= 0)) return indices;
  return tensor(
    v.map((i) => (i < 0 ? i + dim : i)),
    { shape: indices.shape, dtype: 'int32' },
  );
}

/** Operators that read or write by index or position: Gather*, Scatter*, NonZero, Tile, Trilu, Pad. */
export const indexingOps: Record<string, OpImpl> = {
  GatherElements: gatherElements,
  ScatterElements: scatterElements,
  GatherND: gatherND,
  ScatterND: scatterND,
  NonZero: nonZero,
  Tile: tile,
  Trilu: trilu,
  Pad: onnxPad,
  Gather: (c) => {
    const x = input(c, 0, 'data');
    const a = axis(c, 'axis', 0, x.rank);
    return [gather(x, normalizeIndices(c, input(c, 1, 'indices'), x.shape[a]), a)];
  },
};
