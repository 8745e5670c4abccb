import { Dense, Embedding, KerasDropout, KerasEmbedding, type keras, type Linear } from '@recur/layers';
import { type Tensor, tidy, transpose, UnsupportedError } from '@recur/tensor';
import { writeActivation } from './activations';
import type { ExportContext, Value } from './context';
import { exportKerasRecurrent } from './keras-recurrent';

/**
 * One layer's export: its ONNX nodes from the values it is called on (a Keras mask riding on
 * them), giving the values it returns. `stateCount` of the inputs are a recurrent layer's
 * initial states.
 */
export type LayerExporter = (ctx: ExportContext, layer: keras.Layer, inputs: Value[], stateCount: number) => Value[];

const f32 = (v: Value): Value['dtype'] => (v.dtype === 'float64' ? 'float64' : 'float32');

function dense(ctx: ExportContext, layer: Dense | Linear, x: Value): Value {
  const { g } = ctx;
  const sd = layer.stateDict();
  const kernel = layer instanceof Dense ? sd.kernel : tidy(() => transpose(sd.weight));
  let y = g.op('MatMul', [x.dtype === 'int32' ? ctx.cast(x.name, 'float32') : x.name, g.constant('kernel', kernel)]);
  if (!(layer instanceof Dense)) kernel.dispose();
  if (sd.bias) y = g.op('Add', [y, g.constant('bias', sd.bias)]);
  if (layer instanceof Dense) {
    const act = layer.activation;
    if (typeof act === 'function')
      throw new UnsupportedError(
        `exportOnnx: layer '${layer.name}' has an activation function, which has no ONNX name`,
      );
    y = writeActivation(g, layer.name, act, y);
  }
  return { name: y, rank: x.rank, dtype: f32(x), mask: x.mask };
}

function embedding(ctx: ExportContext, layer: KerasEmbedding | Embedding, x: Value): Value {
  const { g } = ctx;
  const table = layer.stateDict()[layer instanceof Embedding ? 'weight' : 'embeddings'] as Tensor;
  const ids = ctx.cast(x.name, 'int64');
  const y = g.op('Gather', [g.constant('embedding', table), ids], { axis: 0 });
  const mask =
    layer instanceof KerasEmbedding && layer.maskZero
      ? g.op('Not', [g.op('Equal', [ids, g.int('zero', 0)])])
      : undefined;
  return { name: y, rank: x.rank + 1, dtype: table.dtype === 'float64' ? 'float64' : 'float32', mask };
}

const or = (ctx: ExportContext, masks: string[]) => masks.reduce((a, b) => ctx.g.op('Or', [a, b]));

/** Merge layers: the elementwise op, the OR of the masks when every input has one (Keras' base Merge). */
function merge(op: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerExporter {
  return (ctx, _layer, inputs) => {
    const { g } = ctx;
    let y: string;
    if (op === 'Sub') y = g.op('Sub', [inputs[0].name, inputs[1].name]);
    else if (op === 'Max' || op === 'Min')
      y = g.op(
        op,
        inputs.map((v) => v.name),
      );
    else if (op === 'Mean')
      y = g.op('Div', [
        g.op(
          'Sum',
          inputs.map((v) => v.name),
        ),
        g.scalar('n', inputs.length),
      ]);
    else y = inputs.slice(1).reduce((acc, v) => g.op(op, [acc, v.name]), inputs[0].name);
    const masks = inputs.map((v) => v.mask);
    const mask = masks.every((m) => m) ? or(ctx, masks as string[]) : undefined;
    return [{ name: y, rank: Math.max(...inputs.map((v) => v.rank)), dtype: f32(inputs[0]), mask }];
  };
}

const identity: LayerExporter = (_ctx, _layer, [x]) => [x];

/** The exporters, by layer type. Adding a layer's export is one entry. */
export const EXPORTERS: Record<string, LayerExporter> = {
  Dense: (ctx, layer, [x]) => [dense(ctx, layer as Dense, x)],
  Linear: (ctx, layer, [x]) => [dense(ctx, layer as unknown as Linear, x)],
  Embedding: (ctx, layer, [x]) => [embedding(ctx, layer as unknown as KerasEmbedding | Embedding, x)],
  Dropout: identity,
  InputLayer: identity,
  Activation: (ctx, layer, [x]) => {
    const act = (layer as keras.Activation).activation;
    if (typeof act === 'function')
      throw new UnsupportedError(
        `exportOnnx: layer '${layer.name}' has an activation function, which has no ONNX name`,
      );
    return [{ ...x, name: writeActivation(ctx.g, layer.name, act, x.name) }];
  },
  SimpleRNN: exportKerasRecurrent,
  LSTM: exportKerasRecurrent,
  GRU: exportKerasRecurrent,
  RNN: exportKerasRecurrent,
  Bidirectional: exportKerasRecurrent,
  TimeDistributed: (ctx, layer, [x], n) => {
    const inner = (layer as keras.TimeDistributed).layer;
    const exporter = EXPORTERS[inner.layerType];
    if (!exporter)
      throw new UnsupportedError(
        `exportOnnx: TimeDistributed '${layer.name}' wraps ${inner.layerType}, which cannot be exported`,
      );
    // Dense, Activation and Dropout act on the last axis: applied to [B, T, F] directly, they are per-step.
    if (['Dense', 'Activation', 'Dropout'].includes(inner.layerType)) return exporter(ctx, inner, [x], n);
    const { g } = ctx;
    const shape = g.op('Shape', [x.name]);
    const lead = g.op('Slice', [shape, g.ints('s', [0]), g.ints('e', [2]), g.ints('a', [0])]);
    const rest = g.op('Slice', [shape, g.ints('s', [2]), g.ints('e', [2 ** 62]), g.ints('a', [0])]);
    const flat = g.op('Reshape', [x.name, g.op('Concat', [g.ints('m', [-1]), rest], { axis: 0 })]);
    const [y] = exporter(ctx, inner, [{ ...x, name: flat, rank: x.rank - 1, mask: undefined }], n);
    const yRest = g.op('Slice', [g.op('Shape', [y.name]), g.ints('s', [1]), g.ints('e', [2 ** 62]), g.ints('a', [0])]);
    const back = g.op('Reshape', [y.name, g.op('Concat', [lead, yRest], { axis: 0 })]);
    return [{ ...y, name: back, rank: y.rank + 1, mask: x.mask }];
  },
  Masking: (ctx, layer, [x]) => {
    const { g } = ctx;
    const v = (layer as keras.Masking).maskValue;
    const differs = ctx.cast(g.op('Not', [g.op('Equal', [x.name, g.scalar('mask_value', v)])]), 'float32');
    const mask = g.op('Greater', [ctx.reduce('ReduceMax', differs, [-1], false), g.scalar('zero', 0)]);
    const y = g.op('Where', [ctx.unsqueeze(mask, [2]), x.name, g.scalar('zero', 0)]);
    return [{ ...x, name: y, mask }];
  },
  RepeatVector: (ctx, layer, [x]) => {
    const n = (layer as keras.RepeatVector).n;
    return [
      {
        name: ctx.g.op('Tile', [ctx.unsqueeze(x.name, [1]), ctx.g.ints('repeats', [1, n, 1])]),
        rank: 3,
        dtype: x.dtype,
      },
    ];
  },
  Reshape: (ctx, layer, [x]) => {
    const target = (layer as keras.Reshape).targetShape;
    return [
      {
        name: ctx.g.op('Reshape', [x.name, ctx.g.ints('shape', [0, ...target])]),
        rank: target.length + 1,
        dtype: x.dtype,
      },
    ];
  },
  Flatten: (ctx, _layer, [x]) => [{ name: ctx.g.op('Flatten', [x.name], { axis: 1 }), rank: 2, dtype: x.dtype }],
  Permute: (ctx, layer, [x]) => [
    {
      name: ctx.g.op('Transpose', [x.name], { perm: [0, ...(layer as keras.Permute).dims] }),
      rank: x.rank,
      dtype: x.dtype,
    },
  ],
  Add: merge('Add'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: (ctx, layer, inputs) => {
    const axis = (layer as keras.Concatenate).axis;
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
      // Keras: inputs without a mask count as all-real, so the OR is all true wherever one input has no mask.
      mask = masks.every((m) => m) ? or(ctx, masks as string[]) : undefined;
    }
    return [{ name: y, rank: inputs[0].rank, dtype: f32(inputs[0]), mask }];
  },
  LayerNormalization: (ctx, layer, [x]) => {
    const { g } = ctx;
    const ln = layer as keras.LayerNormalization;
    const cfg = ln.getConfig();
    const given = cfg.axis as number | number[];
    const axes = (Array.isArray(given) ? given : [given]).map((a) => (a < 0 ? x.rank + a : a));
    const mean = ctx.reduce('ReduceMean', x.name, axes, true);
    const d = g.op('Sub', [x.name, mean]);
    const variance = ctx.reduce('ReduceMean', g.op('Mul', [d, d]), axes, true);
    let y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [variance, g.scalar('epsilon', ln.epsilon)])])]);
    const weights = Object.fromEntries(ln.namedParameters());
    const bshape = Array.from({ length: x.rank }, (_, i) => (axes.includes(i) ? -2 : 1));
    const reshape = (t: Tensor) => {
      const shape = bshape.map((v, i) => (v === -2 ? t.shape[axes.indexOf(i)] : 1));
      return g.op('Reshape', [g.constant('ln', t), g.ints('shape', shape)]);
    };
    if (weights.gamma) y = g.op('Mul', [y, reshape(weights.gamma.value)]);
    if (weights.beta) y = g.op('Add', [y, reshape(weights.beta.value)]);
    return [{ ...x, name: y }];
  },
  GlobalAveragePooling1D: (ctx, layer, [x]) => {
    const { g } = ctx;
    const keep = (layer as keras.GlobalAveragePooling1D).keepdims;
    if (!x.mask) return [{ name: ctx.reduce('ReduceMean', x.name, [1], keep), rank: keep ? 3 : 2, dtype: x.dtype }];
    const m = ctx.unsqueeze(ctx.cast(x.mask, 'float32'), [2]);
    const total = ctx.reduce('ReduceSum', g.op('Mul', [x.name, m]), [1], keep);
    return [{ name: g.op('Div', [total, ctx.reduce('ReduceSum', m, [1], keep)]), rank: keep ? 3 : 2, dtype: x.dtype }];
  },
  GlobalMaxPooling1D: (ctx, layer, [x]) => {
    const keep = (layer as keras.GlobalMaxPooling1D).keepdims;
    return [{ name: ctx.reduce('ReduceMax', x.name, [1], keep), rank: keep ? 3 : 2, dtype: x.dtype }];
  },
};

/** The exporter for a layer, or an error naming it. */
export function exporterFor(layer: keras.Layer): LayerExporter {
  if (layer instanceof KerasDropout) return identity;
  const e = EXPORTERS[layer.layerType];
  if (!e) throw new UnsupportedError(`exportOnnx: layer '${layer.name}' (${layer.layerType}) has no ONNX export`);
  return e;
}
