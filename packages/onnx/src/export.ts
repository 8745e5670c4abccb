import type { ActivationName, RecurrentKind } from '@recur/backend-api';
import {
  Dense,
  Embedding,
  KerasEmbedding,
  keras,
  Linear,
  type Module,
  reorderGates,
  Sequential,
  TorchRecurrent,
} from '@recur/layers';
import { concat, stack, type Tensor, tensor, tidy, transpose, zeros as zerosTensor } from '@recur/tensor';
import { encodeModel, node, tensorProto, valueInfo } from './builder';
import type { onnx } from './proto';

export interface ExportOptions {
  /** Default 17. */
  opset?: number;
  /** Add an int32 `sequence_lens` [batch] input so padded batches keep per-sequence lengths. */
  sequenceLens?: boolean;
  /** PyTorch-style recurrent layer: add `h0` (and `c0`) inputs [layers·dirs, batch, H] and a `c_n` output. */
  initialState?: boolean;
  /** Input feature size for a model without an Embedding (Keras layers built lazily need it). */
  inputSize?: number;
  /** Extra metadata (the vocabulary, for example), stored as model metadata_props. */
  metadata?: Record<string, string>;
}

const ONNX_ACT: Record<ActivationName, string> = {
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  relu: 'Relu',
  linear: 'Affine',
  hardSigmoid: 'HardSigmoid',
};

/** Collects nodes and initializers while the graph is written. */
class GraphWriter {
  nodes: onnx.INodeProto[] = [];
  initializers: onnx.ITensorProto[] = [];
  private n = 0;

  name(base: string): string {
    return `${base}_${this.n++}`;
  }

  constant(base: string, t: Tensor, as?: 'int64'): string {
    const name = this.name(base);
    this.initializers.push(tensorProto(name, t, as));
    return name;
  }

  ints(base: string, values: number[]): string {
    const name = this.name(base);
    const bytes = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    this.initializers.push({ name, dims: [values.length], dataType: 7, rawData: bytes });
    return name;
  }

  add(op: string, inputs: string[], outputs = 1, attrs: Parameters<typeof node>[3] = {}): string[] {
    const outs = Array.from({ length: outputs }, () => this.name(op.toLowerCase()));
    this.nodes.push(node(op, inputs, outs, attrs));
    return outs;
  }
}

interface DirectionWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh?: Tensor;
  bHh?: Tensor;
}

/**
 * One ONNX RNN / GRU / LSTM node over time-major x [T, B, I]; returns Y [T, dirs, B, H] and Y_h
 * (and Y_c). Weights arrive in PyTorch layout and gate order and are written in ONNX's
 * (LSTM i,o,f,c; GRU z,r,h), with B = [Wb; Rb].
 */
function recurrentNode(
  g: GraphWriter,
  kind: RecurrentKind,
  x: string,
  dirs: DirectionWeights[],
  hidden: number,
  options: {
    reverse: boolean;
    activations: ActivationName[];
    linearBeforeReset: boolean;
    seqLens: string;
    h0?: string;
    c0?: string;
  },
): { y: string; h: string; c?: string } {
  const op = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' }[kind];
  const toOnnx = (t: Tensor) => reorderGates(t, kind, 0, 'torch', 'onnx');
  const W = tidy(() =>
    stack(
      dirs.map((d) => toOnnx(d.wIh)),
      0,
    ),
  );
  const R = tidy(() =>
    stack(
      dirs.map((d) => toOnnx(d.wHh)),
      0,
    ),
  );
  const G = W.shape[1];
  const B = tidy(() =>
    stack(
      dirs.map((d) => concat([d.bIh ? toOnnx(d.bIh) : zerosLike1(G, W), d.bHh ? toOnnx(d.bHh) : zerosLike1(G, W)], 0)),
      0,
    ),
  );
  const inputs = [
    x,
    g.constant('W', W),
    g.constant('R', R),
    g.constant('B', B),
    options.seqLens,
    options.h0 ?? '',
    ...(kind === 'lstm' ? [options.c0 ?? ''] : []),
  ];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  W.dispose();
  R.dispose();
  B.dispose();
  const direction = dirs.length === 2 ? 'bidirectional' : options.reverse ? 'reverse' : 'forward';
  const acts = options.activations.map((a) => ONNX_ACT[a]);
  const attrs: Parameters<typeof node>[3] = {
    hidden_size: hidden,
    direction,
    activations: dirs.length === 2 ? [...acts, ...acts] : acts,
  };
  if (kind === 'gru') attrs.linear_before_reset = options.linearBeforeReset ? 1 : 0;
  const outs = g.add(op, inputs, kind === 'lstm' ? 3 : 2, attrs);
  return { y: outs[0], h: outs[1], c: outs[2] };
}

function zerosLike1(n: number, like: Tensor): Tensor {
  return zerosTensor([n], like.dtype);
}

/** [T, dirs, B, H] → [T, B, dirs·H] */
function mergeDirections(g: GraphWriter, y: string): string {
  const [t] = g.add('Transpose', [y], 1, { perm: [0, 2, 1, 3] });
  return g.add('Reshape', [t, g.ints('shape', [0, 0, -1])])[0];
}

function torchLayer(
  g: GraphWriter,
  layer: TorchRecurrent,
  x: string,
  seqLens: string,
  state?: { h0: string; c0?: string },
): { y: string; h: string[]; c: string[] } {
  if (layer.projSize > 0)
    throw new Error(`exportOnnx: ${layer.name} uses projSize, which the ONNX LSTM operator cannot express`);
  const sd = layer.stateDict();
  let cur = x;
  const hs: string[] = [];
  const cs: string[] = [];
  const D = layer.directions;
  const layerSlice = (t: string, l: number) =>
    g.add('Slice', [t, g.ints('starts', [l * D]), g.ints('ends', [(l + 1) * D]), g.ints('axes', [0])])[0];
  for (let l = 0; l < layer.numLayers; l++) {
    const dirs = Array.from({ length: layer.directions }, (_, d) => {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      return {
        wIh: sd[`weight_ih${sfx}`],
        wHh: sd[`weight_hh${sfx}`],
        bIh: sd[`bias_ih${sfx}`],
        bHh: sd[`bias_hh${sfx}`],
      };
    });
    const acts = layer.activationNames;
    const r = recurrentNode(g, layer.kind, cur, dirs, layer.hiddenSize, {
      reverse: false,
      activations: acts,
      linearBeforeReset: true,
      seqLens,
      h0: state ? layerSlice(state.h0, l) : undefined,
      c0: state?.c0 ? layerSlice(state.c0, l) : undefined,
    });
    hs.push(r.h);
    if (r.c) cs.push(r.c);
    cur = mergeDirections(g, r.y);
  }
  return { y: cur, h: hs, c: cs };
}

type KerasRecurrentLayer = keras.KerasRecurrentLayer;

function kerasDirection(layer: KerasRecurrentLayer): {
  weights: DirectionWeights;
  activations: ActivationName[];
  lbr: boolean;
} {
  const form = layer.cell.fusedForm(false);
  if (!form) throw new Error(`exportOnnx: ${layer.name} uses activations ONNX export does not handle`);
  return { weights: form.weights as DirectionWeights, activations: form.activations, lbr: form.linearBeforeReset };
}

/**
 * A Keras recurrent layer (or Bidirectional) over time-major x: returns the layer's output in
 * batch-major form ([B, T, F] with returnSequences, else [B, F]).
 */
function kerasRecurrent(g: GraphWriter, layer: Module, x: string, seqLens: string): string {
  if (layer instanceof keras.Bidirectional) {
    const f = kerasDirection(layer.forwardLayer as KerasRecurrentLayer);
    const b = kerasDirection(layer.backwardLayer as KerasRecurrentLayer);
    const kind = (layer.forwardLayer as KerasRecurrentLayer).cell.kind;
    const units = (layer.forwardLayer as KerasRecurrentLayer).units;
    const r = recurrentNode(g, kind, x, [f.weights, b.weights], units, {
      reverse: false,
      activations: f.activations,
      linearBeforeReset: f.lbr,
      seqLens,
    });
    const seq = layer.returnSequences;
    // Per direction: [T, B, H] sequences or [B, H] final states.
    const [fw, bw] = seq
      ? g.add('Split', [r.y, g.ints('split', [1, 1])], 2, { axis: 1 })
      : g.add('Split', [r.h, g.ints('split', [1, 1])], 2, { axis: 0 });
    const sq = (t: string) => g.add('Squeeze', [t, g.ints('axes', [seq ? 1 : 0])])[0];
    const [a, c] = [sq(fw), sq(bw)];
    let merged: string;
    switch (layer.mergeMode) {
      case 'concat':
        merged = g.add('Concat', [a, c], 1, { axis: -1 })[0];
        break;
      case 'sum':
        merged = g.add('Add', [a, c])[0];
        break;
      case 'mul':
        merged = g.add('Mul', [a, c])[0];
        break;
      case 'ave':
        merged = g.add('Div', [
          g.add('Add', [a, c])[0],
          g.constant(
            'two',
            tidy(() => tensorOfScalar(2)),
          ),
        ])[0];
        break;
      default:
        throw new Error(`exportOnnx: ${layer.name} has mergeMode null (two outputs), which a single-output export cannot hold`);
    }
    return seq ? g.add('Transpose', [merged], 1, { perm: [1, 0, 2] })[0] : merged;
  }
  const l = layer as KerasRecurrentLayer;
  const d = kerasDirection(l);
  const r = recurrentNode(g, l.cell.kind, x, [d.weights], l.units, {
    reverse: l.goBackwards,
    activations: d.activations,
    linearBeforeReset: d.lbr,
    seqLens,
  });
  if (!l.returnSequences) return g.add('Squeeze', [r.h, g.ints('axes', [0])])[0];
  // Y [T, 1, B, H] → [B, T, H]; a backwards layer returns its outputs in processing order (Keras).
  let y = g.add('Transpose', [g.add('Squeeze', [r.y, g.ints('axes', [1])])[0]], 1, { perm: [1, 0, 2] })[0];
  if (l.goBackwards)
    y = g.add('Slice', [
      y,
      g.ints('starts', [-1]),
      g.ints('ends', [-(2 ** 31)]),
      g.ints('axes', [1]),
      g.ints('steps', [-1]),
    ])[0];
  return y;
}

function tensorOfScalar(v: number): Tensor {
  return tensor([v], { shape: [] });
}

function dense(g: GraphWriter, layer: Dense | Linear, x: string): string {
  const sd = layer.stateDict();
  const kernel = layer instanceof Dense ? sd.kernel : tidy(() => transpose(sd.weight));
  let y = g.add('MatMul', [x, g.constant('kernel', kernel)])[0];
  if (!(layer instanceof Dense)) kernel.dispose();
  const bias = layer instanceof Dense ? sd.bias : sd.bias;
  if (bias) y = g.add('Add', [y, g.constant('bias', bias)])[0];
  const act =
    layer instanceof Dense ? (layer as unknown as { config: { activation?: unknown } }).config.activation : undefined;
  if (act === 'sigmoid') y = g.add('Sigmoid', [y])[0];
  else if (act === 'tanh') y = g.add('Tanh', [y])[0];
  else if (act === 'relu') y = g.add('Relu', [y])[0];
  else if (act === 'softmax') y = g.add('Softmax', [y], 1, { axis: -1 })[0];
  else if (act !== undefined && act !== 'linear')
    throw new Error(`exportOnnx: ${layer.name}'s activation cannot be exported`);
  return y;
}

/**
 * Exports a recur model to ONNX: a PyTorch-style RNN / LSTM / GRU, a RecurrentLM (Embedding →
 * recurrent → Linear), or a Sequential of Embedding / recurrent / Bidirectional / Dense layers.
 * Batch and sequence axes are dynamic; recurrent layers become standard ONNX RNN / GRU / LSTM nodes.
 */
export function exportOnnx(model: Module, options: ExportOptions = {}): Uint8Array {
  const g = new GraphWriter();
  const inputs: onnx.IValueInfoProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  const seqLens = options.sequenceLens ? 'sequence_lens' : '';
  if (options.sequenceLens) inputs.push(valueInfo('sequence_lens', 'int32', ['batch']));
  const dtype = model.parameters()[0]?.dtype ?? 'float32';

  if (model instanceof TorchRecurrent) {
    inputs.unshift(
      valueInfo(
        'input',
        dtype,
        model.batchFirst ? ['batch', 'sequence', model.inputSize] : ['sequence', 'batch', model.inputSize],
      ),
    );
    const x = model.batchFirst ? g.add('Transpose', ['input'], 1, { perm: [1, 0, 2] })[0] : 'input';
    const L = model.numLayers * model.directions;
    if (options.initialState) {
      inputs.push(valueInfo('h0', dtype, [L, 'batch', model.outputSize]));
      if (model.kind === 'lstm') inputs.push(valueInfo('c0', dtype, [L, 'batch', model.hiddenSize]));
    }
    const state = options.initialState ? { h0: 'h0', c0: model.kind === 'lstm' ? 'c0' : undefined } : undefined;
    const r = torchLayer(g, model, x, seqLens, state);
    const y = model.batchFirst ? g.add('Transpose', [r.y], 1, { perm: [1, 0, 2] })[0] : r.y;
    g.nodes.push(node('Identity', [y], ['output']));
    g.nodes.push(node('Concat', r.h, ['h_n'], { axis: 0 }));
    outputs.push(
      valueInfo(
        'output',
        dtype,
        model.batchFirst
          ? ['batch', 'sequence', model.outputSize * model.directions]
          : ['sequence', 'batch', model.outputSize * model.directions],
      ),
    );
    outputs.push(valueInfo('h_n', dtype, [L, 'batch', model.hiddenSize]));
    if (model.kind === 'lstm') {
      g.nodes.push(node('Concat', r.c, ['c_n'], { axis: 0 }));
      outputs.push(valueInfo('c_n', dtype, [L, 'batch', model.hiddenSize]));
    }
  } else {
    const layers = model instanceof Sequential ? model.layers : exportableChildren(model);
    let batchMajor: string;
    const first = layers[0];
    if (first instanceof Embedding || first instanceof KerasEmbedding) {
      inputs.unshift(valueInfo('tokens', 'int64', ['batch', 'sequence']));
      const table = first.stateDict()[first instanceof Embedding ? 'weight' : 'embeddings'];
      batchMajor = g.add('Gather', [g.constant('embedding', table), 'tokens'], 1, { axis: 0 })[0];
    } else {
      const size = options.inputSize;
      if (!size) throw new Error('exportOnnx: pass inputSize for a model that does not start with an Embedding');
      inputs.unshift(valueInfo('input', dtype, ['batch', 'sequence', size]));
      batchMajor = 'input';
    }
    let timeMajor: string | null = null;
    for (const layer of layers.slice(first instanceof Embedding || first instanceof KerasEmbedding ? 1 : 0)) {
      if (layer instanceof TorchRecurrent) {
        if (!layer.batchFirst) throw new Error(`exportOnnx: ${layer.name} inside a model must be batchFirst`);
        timeMajor = g.add('Transpose', [batchMajor], 1, { perm: [1, 0, 2] })[0];
        const r = torchLayer(g, layer, timeMajor, seqLens);
        batchMajor = g.add('Transpose', [r.y], 1, { perm: [1, 0, 2] })[0];
      } else if (layer instanceof keras.RNN || layer instanceof keras.Bidirectional) {
        timeMajor = g.add('Transpose', [batchMajor], 1, { perm: [1, 0, 2] })[0];
        batchMajor = kerasRecurrent(g, layer, timeMajor, seqLens);
      } else if (layer instanceof Dense || layer instanceof Linear) {
        batchMajor = dense(g, layer, batchMajor);
      } else if (layer instanceof keras.Dropout) {
        // inference: identity
      } else {
        throw new Error(`exportOnnx: layer ${layer.name} (${layer.layerType}) cannot be exported yet`);
      }
    }
    g.nodes.push(node('Identity', [batchMajor], ['output']));
    outputs.push(valueInfo('output', dtype, []));
    outputs[0].type = { tensorType: { elemType: dtype === 'float64' ? 11 : 1 } };
  }
  return encodeModel({
    nodes: g.nodes,
    inputs,
    outputs,
    initializers: g.initializers,
    opset: options.opset ?? 17,
    name: model.name,
    metadata: { producer: 'recur', ...(options.metadata ?? {}) },
  });
}

/** A RecurrentLM-like module: embedding, rnn, head children in that order. */
function exportableChildren(model: Module): Module[] {
  const named = new Map(model.namedModules().filter(([n]) => !n.includes('.')));
  const order = ['embedding', 'rnn', 'head'].map((n) => named.get(n)).filter((m): m is Module => !!m);
  if (order.length === 0)
    throw new Error(`exportOnnx: ${model.name} (${model.layerType}) is not a model recur can export`);
  return order;
}
