import { Linear, type Module, Sequential, TorchRecurrent } from '@recur/layers';
import { UnsupportedError } from '@recur/tensor';
import { encodeModel, node, valueInfo } from './builder';
import { ExportContext, type Value } from './export/context';
import { GraphWriter } from './export/graph-writer';
import { isOnnxGraph } from './export/protocol';
import { chainLayer } from './export/pytorch-layers';
import { torchLayer } from './export/torch';
import type { onnx } from './proto';

/** How `exportOnnx` writes a model. */
export interface ExportOptions {
  /** Default 17. */
  opset?: number;
  /** Add an int32 `sequence_lens` [batch] input so padded batches keep per-sequence lengths. */
  sequenceLens?: boolean;
  /** PyTorch-style recurrent layer: add `h0` (and `c0`) inputs [layers·dirs, batch, H] and a `c_n` output. */
  initialState?: boolean;
  /** Input feature size for a layer chain without an Embedding (Keras layers built lazily need it). */
  inputSize?: number;
  /** Extra metadata (the vocabulary, for example), stored as model metadata_props. */
  metadata?: Record<string, string>;
}

/** A RecurrentLM-like module: embedding, rnn, head children in that order. */
function exportableChildren(model: Module): Module[] {
  const named = new Map(model.namedModules().filter(([n]) => !n.includes('.')));
  const order = ['embedding', 'rnn', 'head'].map((n) => named.get(n)).filter((m): m is Module => !!m);
  if (order.length === 0) {
    throw new UnsupportedError(`exportOnnx: ${model.name} (${model.layerType}) is not a model recur can export`);
  }
  return order;
}

/** The size of a layer's last output axis, for the output's declared shape ('features' when unknown). */
function featuresOf(layer: Module): number | string {
  if (layer instanceof Linear) return layer.outFeatures;
  if (layer instanceof TorchRecurrent) return layer.outputSize * layer.directions;
  const shaped = layer as Module & { computeOutputShape?(shape: (number | null)[]): unknown };
  if (typeof shaped.computeOutputShape !== 'function') return 'features';
  try {
    const out = shaped.computeOutputShape([null, null, null]) as (number | null)[] | (number | null)[][];
    const first = Array.isArray(out[0]) ? (out[0] as (number | null)[]) : (out as (number | null)[]);
    const last = first[first.length - 1];
    return typeof last === 'number' ? last : 'features';
  } catch {
    // A layer that cannot say without its input's feature size: the dim stays named.
    return 'features';
  }
}

function torchModel(ctx: ExportContext, model: TorchRecurrent, options: ExportOptions, dtype: 'float32' | 'float64') {
  const { g } = ctx;
  const inputs: onnx.IValueInfoProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  inputs.push(
    valueInfo(
      'input',
      dtype,
      model.batchFirst ? ['batch', 'sequence', model.inputSize] : ['sequence', 'batch', model.inputSize],
    ),
  );
  const x = model.batchFirst ? ctx.swap01('input') : 'input';
  const L = model.numLayers * model.directions;
  // An LSTM's c (the cell kind's second state) has its own input and output.
  const twoStates = model.cell.states.length === 2;
  if (options.initialState) {
    inputs.push(valueInfo('h0', dtype, [L, 'batch', model.outputSize]));
    if (twoStates) inputs.push(valueInfo('c0', dtype, [L, 'batch', model.hiddenSize]));
  }
  const state = options.initialState ? { h0: 'h0', c0: twoStates ? 'c0' : undefined } : undefined;
  const r = torchLayer(ctx, model, x, state);
  const y = model.batchFirst ? ctx.swap01(r.y) : r.y;
  g.nodes.push(node('Identity', [y], ['output']));
  g.nodes.push(node('Concat', r.h, ['h_n'], { axis: 0 }));
  const features = model.outputSize * model.directions;
  outputs.push(
    valueInfo('output', dtype, model.batchFirst ? ['batch', 'sequence', features] : ['sequence', 'batch', features]),
  );
  outputs.push(valueInfo('h_n', dtype, [L, 'batch', model.outputSize]));
  if (twoStates) {
    g.nodes.push(node('Concat', r.c, ['c_n'], { axis: 0 }));
    outputs.push(valueInfo('c_n', dtype, [L, 'batch', model.hiddenSize]));
  }
  return { inputs, outputs };
}

/** A chain of layers (layers' Sequential, RecurrentLM): Embedding or a feature input, then each layer in turn. */
function chainModel(ctx: ExportContext, model: Module, options: ExportOptions, dtype: 'float32' | 'float64') {
  const { g } = ctx;
  const layers: Module[] = model instanceof Sequential ? model.layers : exportableChildren(model);
  const first = layers[0];
  // An Embedding (either door) takes token ids.
  const startsWithEmbedding = first.layerType === 'Embedding';
  let v: Value;
  const inputs: onnx.IValueInfoProto[] = [];
  if (startsWithEmbedding) {
    inputs.push(valueInfo('tokens', 'int64', ['batch', 'sequence']));
    v = { name: 'tokens', rank: 2, dtype: 'int32' };
  } else {
    const size = options.inputSize;
    if (!size)
      throw new UnsupportedError('exportOnnx: pass inputSize for a model that does not start with an Embedding');
    inputs.push(valueInfo('input', dtype, ['batch', 'sequence', size]));
    v = { name: 'input', rank: 3, dtype };
  }
  for (const layer of layers) v = chainLayer(ctx, layer, v);
  g.nodes.push(node('Identity', [v.name], ['output']));
  const last = layers[layers.length - 1];
  const dims = v.rank === 3 ? ['batch', 'sequence', featuresOf(last)] : ['batch', featuresOf(last)];
  return { inputs, outputs: [valueInfo('output', dtype, dims)] };
}

/**
 * Exports a recur model to ONNX: a PyTorch-style RNN / LSTM / GRU, a RecurrentLM (Embedding →
 * recurrent → Linear), a layers Sequential, or any model that writes its own graph (`OnnxGraph`:
 * a `@recur/keras` Model or Sequential, with Keras masks and initial states). Batch and sequence
 * axes are dynamic; recurrent layers become standard ONNX RNN / GRU / LSTM nodes; inputs and
 * outputs are typed and shaped. A layer that has no ONNX form is an error naming it.
 *
 * @example
 * ```ts
 * import { exportOnnx, OnnxModel } from '@recur/onnx';
 * import { tensor } from '@recur/tensor';
 * import { RecurrentLM } from '@recur/train';
 * const lm = new RecurrentLM({ vocabSize: 30, embeddingDim: 8, hiddenSize: 16, cell: 'LSTM' });
 * const bytes = exportOnnx(lm); // the bytes of an .onnx file; batch and sequence axes are dynamic
 * const model = OnnxModel.load(bytes);
 * console.log(model.inputs.map((i) => i.name), model.outputs.map((o) => o.name)); // ['tokens'] ['output']
 * const ids = tensor([[3, 1, 4, 1, 5]], { dtype: 'int32' });
 * const { output } = model.run({ tokens: ids });
 * const mine = lm.forward(ids).logits.dataSync();
 * console.log(output.dataSync().every((v, i) => Math.abs(v - mine[i]) < 1e-5)); // true
 * ```
 */
export function exportOnnx(model: Module, options: ExportOptions = {}): Uint8Array {
  const opset = options.opset ?? 17;
  const g = new GraphWriter();
  const ctx = new ExportContext(g, opset, options.sequenceLens ? 'sequence_lens' : '');
  const dtype = model.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
  let parts: { inputs: onnx.IValueInfoProto[]; outputs: onnx.IValueInfoProto[] };
  if (model instanceof TorchRecurrent) parts = torchModel(ctx, model, options, dtype);
  else if (isOnnxGraph(model)) parts = model.onnxGraph(ctx);
  else parts = chainModel(ctx, model, options, dtype);
  if (options.sequenceLens) parts.inputs.push(valueInfo('sequence_lens', 'int32', ['batch']));
  return encodeModel({
    nodes: g.nodes,
    inputs: parts.inputs,
    outputs: parts.outputs,
    initializers: g.initializers,
    opset,
    name: model.name,
    metadata: { producer: 'recur', ...(options.metadata ?? {}) },
  });
}
