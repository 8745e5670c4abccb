import type { ExportContext, Value } from '@recur/onnx';
import { type Tensor, UnsupportedError } from '@recur/tensor';
import type { Layer } from '../engine/layer';
import type { Dense } from '../layers/dense';
import type { Embedding } from '../layers/embedding';
import type { LayerNormalization } from '../layers/layer-normalization';

/*
 * The ONNX form of the Keras door's feed-forward layers. Each layer's `onnxNodes` calls its function
 * here: the values it is called on (a Keras mask riding on them) → the values it returns.
 */

const float = (v: Value): Value['dtype'] => (v.dtype === 'float64' ? 'float64' : 'float32');

/** An activation by name, or an error naming the layer when it is a function. */
export function activationOnnx(ctx: ExportContext, layer: Layer, act: unknown, x: string): string {
  if (typeof act === 'function')
    throw new UnsupportedError(`exportOnnx: layer '${layer.name}' has an activation function, which has no ONNX name`);
  return ctx.activation(layer.name, act as string, x);
}

/** Dense: MatMul with the kernel [in, units], the bias, the activation. */
export function denseOnnx(ctx: ExportContext, layer: Dense, x: Value): Value {
  const { g } = ctx;
  const sd = layer.stateDict();
  let y = g.op('MatMul', [x.dtype === 'int32' ? ctx.cast(x.name, 'float32') : x.name, g.constant('kernel', sd.kernel)]);
  if (sd.bias) y = g.op('Add', [y, g.constant('bias', sd.bias)]);
  y = activationOnnx(ctx, layer, layer.activation, y);
  return { name: y, rank: x.rank, dtype: float(x), mask: x.mask };
}

/** Embedding: a Gather on the table; with maskZero, the mask id ≠ 0 rides on the output. */
export function embeddingOnnx(ctx: ExportContext, layer: Embedding, x: Value): Value {
  const { g } = ctx;
  const table = layer.stateDict().embeddings as Tensor;
  const ids = ctx.cast(x.name, 'int64');
  const y = g.op('Gather', [g.constant('embedding', table), ids], { axis: 0 });
  const mask = layer.maskZero ? g.op('Not', [g.op('Equal', [ids, g.int('zero', 0)])]) : undefined;
  return { name: y, rank: x.rank + 1, dtype: table.dtype === 'float64' ? 'float64' : 'float32', mask };
}

/** Masking: steps whose features all equal `maskValue` are masked and zeroed. */
export function maskingOnnx(ctx: ExportContext, maskValue: number, x: Value): Value {
  const { g } = ctx;
  const differs = ctx.cast(g.op('Not', [g.op('Equal', [x.name, g.scalar('mask_value', maskValue)])]), 'float32');
  const mask = g.op('Greater', [ctx.reduce('ReduceMax', differs, [-1], false), g.scalar('zero', 0)]);
  const y = g.op('Where', [ctx.unsqueeze(mask, [2]), x.name, g.scalar('zero', 0)]);
  return { ...x, name: y, mask };
}

/** RepeatVector: [B, F] → [B, n, F]. */
export function repeatVectorOnnx(ctx: ExportContext, n: number, x: Value): Value {
  return {
    name: ctx.g.op('Tile', [ctx.unsqueeze(x.name, [1]), ctx.g.ints('repeats', [1, n, 1])]),
    rank: 3,
    dtype: x.dtype,
  };
}

/** Reshape to [batch, ...target]. */
export function reshapeOnnx(ctx: ExportContext, target: readonly number[], x: Value): Value {
  return {
    name: ctx.g.op('Reshape', [x.name, ctx.g.ints('shape', [0, ...target])]),
    rank: target.length + 1,
    dtype: x.dtype,
  };
}

export function flattenOnnx(ctx: ExportContext, x: Value): Value {
  return { name: ctx.g.op('Flatten', [x.name], { axis: 1 }), rank: 2, dtype: x.dtype };
}

export function permuteOnnx(ctx: ExportContext, dims: readonly number[], x: Value): Value {
  return { name: ctx.g.op('Transpose', [x.name], { perm: [0, ...dims] }), rank: x.rank, dtype: x.dtype };
}

const or = (ctx: ExportContext, masks: string[]) => masks.reduce((a, b) => ctx.g.op('Or', [a, b]));

/** Elementwise merges: the op, and the OR of the masks when every input has one (Keras' base Merge). */
export function mergeOnnx(
  ctx: ExportContext,
  op: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Mean',
  inputs: Value[],
): Value {
  const { g } = ctx;
  const names = inputs.map((v) => v.name);
  let y: string;
  if (op === 'Sub') y = g.op('Sub', [names[0], names[1]]);
  else if (op === 'Max' || op === 'Min') y = g.op(op, names);
  else if (op === 'Mean') y = g.op('Div', [g.op('Sum', names), g.scalar('n', inputs.length)]);
  else y = names.slice(1).reduce((acc, v) => g.op(op, [acc, v]), names[0]);
  const masks = inputs.map((v) => v.mask);
  const mask = masks.every((m) => m) ? or(ctx, masks as string[]) : undefined;
  return { name: y, rank: Math.max(...inputs.map((v) => v.rank)), dtype: float(inputs[0]), mask };
}

/** Concatenate: masks only along the feature axis (inputs without one count as all-real, as Keras). */
export function concatenateOnnx(ctx: ExportContext, layer: Layer, axis: number, inputs: Value[]): Value {
  const y = ctx.g.op(
    'Concat',
    inputs.map((v) => v.name),
    { axis },
  );
  const masks = inputs.map((v) => v.mask);
  const lastAxis = axis === -1 || axis === inputs[0].rank - 1;
  let mask: string | undefined;
  if (masks.some((m) => m)) {
    if (!lastAxis)
      throw new UnsupportedError(
        `exportOnnx: Concatenate '${layer.name}' joins masked inputs on axis ${axis}; only the feature axis is supported`,
      );
    mask = masks.every((m) => m) ? or(ctx, masks as string[]) : undefined;
  }
  return { name: y, rank: inputs[0].rank, dtype: float(inputs[0]), mask };
}

/** Dot: Transpose / Unsqueeze around one batched MatMul, each input L2-normalised first when asked. */
export function dotOnnx(ctx: ExportContext, [a, b]: Value[], ax: number, bx: number, normalize: boolean): Value {
  const { g } = ctx;
  const l2 = (x: string, axis: number) =>
    g.op('Div', [
      x,
      g.op('Max', [g.op('Sqrt', [ctx.reduce('ReduceSum', g.op('Mul', [x, x]), [axis], true)]), g.scalar('eps', 1e-12)]),
    ]);
  const an = normalize ? l2(a.name, ax) : a.name;
  const bn = normalize ? l2(b.name, bx) : b.name;
  const swap = (x: string) => g.op('Transpose', [x], { perm: [0, 2, 1] });
  const left = a.rank === 2 ? ctx.unsqueeze(an, [1]) : ax === 2 ? an : swap(an);
  const right = b.rank === 2 ? ctx.unsqueeze(bn, [2]) : bx === 1 ? bn : swap(bn);
  let y = g.op('MatMul', [left, right]);
  if (b.rank === 2) y = ctx.squeeze(y, [2]);
  if (a.rank === 2) y = ctx.squeeze(y, [1]);
  const rank = 1 + (a.rank - 2) + (b.rank - 2);
  if (rank === 1) y = ctx.unsqueeze(y, [1]);
  return { name: y, rank: Math.max(rank, 2), dtype: float(a) };
}

/** LayerNormalization over its axes, with gamma and beta reshaped to broadcast. */
export function layerNormalizationOnnx(ctx: ExportContext, ln: LayerNormalization, x: Value): Value {
  const { g } = ctx;
  const given = ln.getConfig().axis as number | number[];
  const axes = (Array.isArray(given) ? given : [given]).map((a) => (a < 0 ? x.rank + a : a));
  const mean = ctx.reduce('ReduceMean', x.name, axes, true);
  const d = g.op('Sub', [x.name, mean]);
  const variance = ctx.reduce('ReduceMean', g.op('Mul', [d, d]), axes, true);
  let y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [variance, g.scalar('epsilon', ln.epsilon)])])]);
  const weights = Object.fromEntries(ln.namedParameters());
  const reshape = (t: Tensor) => {
    const shape = Array.from({ length: x.rank }, (_, i) => (axes.includes(i) ? t.shape[axes.indexOf(i)] : 1));
    return g.op('Reshape', [g.constant('ln', t), g.ints('shape', shape)]);
  };
  if (weights.gamma) y = g.op('Mul', [y, reshape(weights.gamma.value)]);
  if (weights.beta) y = g.op('Add', [y, reshape(weights.beta.value)]);
  return { ...x, name: y };
}

/** GlobalAveragePooling1D (a masked mean with a mask) and GlobalMaxPooling1D over time. */
export function globalPoolingOnnx(ctx: ExportContext, op: 'average' | 'max', keepdims: boolean, x: Value): Value {
  const { g } = ctx;
  const rank = keepdims ? 3 : 2;
  if (op === 'max') return { name: ctx.reduce('ReduceMax', x.name, [1], keepdims), rank, dtype: x.dtype };
  if (!x.mask) return { name: ctx.reduce('ReduceMean', x.name, [1], keepdims), rank, dtype: x.dtype };
  const m = ctx.unsqueeze(ctx.cast(x.mask, 'float32'), [2]);
  const total = ctx.reduce('ReduceSum', g.op('Mul', [x.name, m]), [1], keepdims);
  return { name: g.op('Div', [total, ctx.reduce('ReduceSum', m, [1], keepdims)]), rank, dtype: x.dtype };
}

/**
 * TimeDistributed: a layer acting on the last axis (Dense, Activation, Dropout) runs on [B, T, F]
 * as it is; any other is run on [B·T, ...] and reshaped back.
 */
export function timeDistributedOnnx(
  ctx: ExportContext,
  layer: Layer,
  inner: Layer,
  x: Value,
  stateCount: number,
): Value {
  const exportInner = (inner as Partial<{ onnxNodes: (c: ExportContext, v: Value[], n: number) => Value[] }>).onnxNodes;
  if (typeof exportInner !== 'function')
    throw new UnsupportedError(
      `exportOnnx: TimeDistributed '${layer.name}' wraps ${inner.layerType}, which cannot be exported`,
    );
  if (['Dense', 'Activation', 'Dropout'].includes(inner.layerType))
    return exportInner.call(inner, ctx, [x], stateCount)[0];
  const { g } = ctx;
  const shape = g.op('Shape', [x.name]);
  const lead = g.op('Slice', [shape, g.ints('s', [0]), g.ints('e', [2]), g.ints('a', [0])]);
  const rest = g.op('Slice', [shape, g.ints('s', [2]), g.ints('e', [2 ** 62]), g.ints('a', [0])]);
  const flat = g.op('Reshape', [x.name, g.op('Concat', [g.ints('m', [-1]), rest], { axis: 0 })]);
  const [y] = exportInner.call(inner, ctx, [{ ...x, name: flat, rank: x.rank - 1, mask: undefined }], stateCount);
  const yRest = g.op('Slice', [g.op('Shape', [y.name]), g.ints('s', [1]), g.ints('e', [2 ** 62]), g.ints('a', [0])]);
  const back = g.op('Reshape', [y.name, g.op('Concat', [lead, yRest], { axis: 0 })]);
  return { ...y, name: back, rank: y.rank + 1, mask: x.mask };
}
