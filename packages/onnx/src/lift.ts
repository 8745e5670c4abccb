import { cellSpec, Embedding, Linear, Module, onnxToTorch, TorchRecurrent, torchToOnnx } from '@recur/layers';
import { reshape, slice, squeeze, stack, type Tensor, tidy, transpose } from '@recur/tensor';
import { tensorProto } from './builder';
import type { OnnxModel } from './model';
import { DataType, onnx } from './proto';

type Source = () => Tensor;

/**
 * An imported ONNX model whose recognised weights became recur layers: Gather on a weight →
 * Embedding, an RNN / GRU / LSTM node → the PyTorch-style layer (gate order converted), MatMul
 * (+ Add) and Gemm → Linear. The graph still runs through the interpreter, reading those
 * layers' parameters, so the model can be fine-tuned, saved, and written back to ONNX.
 */
export class LiftedModel extends Module {
  /** The graph it runs (the interpreter reads the lifted layers' parameters). */
  readonly graph: OnnxModel;
  private readonly sources = new Map<string, Source>();
  /** What was recognised, for inspection: node name → layer. */
  readonly lifted: {
    /** The node's name. */
    node: string;
    /** The layer it became. */
    layer: Module;
  }[] = [];

  constructor(graph: OnnxModel) {
    super('lifted');
    this.graph = graph;
    const init = graph.initializers;
    const isWeight = (name: string) => init.has(name) && !this.sources.has(name) && init.get(name)?.dtype === 'float32';
    const consumers = (name: string) => graph.graphNodes.filter((n) => n.inputs.includes(name));
    let k = 0;
    for (const n of graph.graphNodes) {
      if (n.opType === 'Gather' && isWeight(n.inputs[0]) && ((n.attrs.axis as number) ?? 0) === 0) {
        const table = init.get(n.inputs[0]) as Tensor;
        if (table.rank !== 2) continue;
        const emb = new Embedding(table.shape[0], table.shape[1]);
        emb.loadStateDict({ weight: table });
        this.adopt(`embedding_${k++}`, n.name, emb);
        this.sources.set(n.inputs[0], () => emb.stateDict().weight);
      } else if (
        (n.opType === 'LSTM' || n.opType === 'GRU' || n.opType === 'RNN') &&
        isWeight(n.inputs[1]) &&
        isWeight(n.inputs[2])
      ) {
        this.liftRecurrent(n, k++);
      } else if (n.opType === 'MatMul' && isWeight(n.inputs[1]) && init.get(n.inputs[1])?.rank === 2) {
        const kernel = init.get(n.inputs[1]) as Tensor;
        const add = consumers(n.outputs[0]).find(
          (c) => c.opType === 'Add' && isWeight(c.inputs[1]) && init.get(c.inputs[1])?.rank === 1,
        );
        // MatMul's B is [in, out]: the Linear holds its transpose, as nn.Linear does, and gives it back transposed.
        const linear = new Linear(kernel.shape[0], kernel.shape[1], { bias: !!add });
        tidy(() =>
          linear.loadStateDict({
            weight: transpose(kernel),
            ...(add ? { bias: init.get(add.inputs[1]) as Tensor } : {}),
          }),
        );
        this.adopt(`linear_${k++}`, n.name, linear);
        this.sources.set(n.inputs[1], () => transpose(linear.stateDict().weight));
        if (add) this.sources.set(add.inputs[1], () => linear.stateDict().bias);
      } else if (
        n.opType === 'Gemm' &&
        isWeight(n.inputs[1]) &&
        ((n.attrs.transB as number) ?? 0) === 1 &&
        ((n.attrs.transA as number) ?? 0) === 0
      ) {
        const w = init.get(n.inputs[1]) as Tensor;
        const bias = n.inputs[2] && isWeight(n.inputs[2]) ? (init.get(n.inputs[2]) as Tensor) : undefined;
        const linear = new Linear(w.shape[1], w.shape[0], { bias: !!bias });
        linear.loadStateDict(bias ? { weight: w, bias } : { weight: w });
        this.adopt(`linear_${k++}`, n.name, linear);
        this.sources.set(n.inputs[1], () => linear.stateDict().weight);
        if (bias && n.inputs[2]) this.sources.set(n.inputs[2], () => linear.stateDict().bias);
      }
    }
  }

  override get layerType(): string {
    return 'LiftedModel';
  }

  private adopt(name: string, node: string, layer: Module): void {
    this.registerModule(name, layer);
    this.lifted.push({ node, layer });
  }

  private liftRecurrent(n: OnnxModel['graphNodes'][number], k: number): void {
    const kind = n.opType.toLowerCase();
    const defaults = cellSpec(kind).activations;
    const a = n.attrs;
    const plain =
      ((a.layout as number) ?? 0) === 0 &&
      a.clip === undefined &&
      ((a.input_forget as number) ?? 0) === 0 &&
      !n.inputs[7] &&
      (kind !== 'gru' || (a.linear_before_reset as number) === 1) &&
      (!a.activations ||
        (a.activations as string[]).every((x, i) => x.toLowerCase() === defaults[i % defaults.length].toLowerCase()));
    if (!plain) return;
    const init = this.graph.initializers;
    const W = init.get(n.inputs[1]) as Tensor;
    const R = init.get(n.inputs[2]) as Tensor;
    const B = n.inputs[3] ? init.get(n.inputs[3]) : undefined;
    const dirs = W.shape[0];
    const H = R.shape[2];
    const layer = new TorchRecurrent(kind, W.shape[2], H, { bidirectional: dirs === 2, bias: !!B });
    tidy(() => {
      const dict: Record<string, Tensor> = {};
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
        const at = (t: Tensor) => squeeze(slice(t, [d], [1]), 0);
        const w = onnxToTorch(kind, { W: at(W), R: at(R), B: B ? at(B) : undefined });
        dict[`weight_ih${sfx}`] = w.wIh;
        dict[`weight_hh${sfx}`] = w.wHh;
        if (w.bIh && w.bHh) {
          dict[`bias_ih${sfx}`] = w.bIh;
          dict[`bias_hh${sfx}`] = w.bHh;
        }
      }
      layer.loadStateDict(dict);
    });
    this.adopt(`${kind}_${k}`, n.name, layer);
    // The node's W, R and B come from the layer's current (trainable) weights, converted back.
    const per = (part: 'W' | 'R' | 'B') => () => {
      const sd = layer.stateDict();
      return stack(
        Array.from({ length: dirs }, (_, d) => {
          const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
          const onnxW = torchToOnnx(kind, {
            wIh: sd[`weight_ih${sfx}`],
            wHh: sd[`weight_hh${sfx}`],
            bIh: sd[`bias_ih${sfx}`],
            bHh: sd[`bias_hh${sfx}`],
          });
          return onnxW[part] as Tensor;
        }),
        0,
      );
    };
    this.sources.set(n.inputs[1], per('W'));
    this.sources.set(n.inputs[2], per('R'));
    if (B && n.inputs[3]) this.sources.set(n.inputs[3], per('B'));
  }

  /** Runs the graph with the layers' current parameters (differentiable: train it like any model). */
  forward(feeds: Record<string, Tensor>): Record<string, Tensor> {
    return tidy(() => {
      const weights = new Map([...this.sources].map(([name, f]) => [name, f()]));
      return this.graph.run(feeds, weights);
    });
  }

  /** The original graph with the current weights, as .onnx bytes (all data inline). */
  toOnnx(): Uint8Array {
    const proto = onnx.ModelProto.decode(onnx.ModelProto.encode(this.graph.proto).finish());
    const graph = proto.graph as onnx.GraphProto;
    graph.initializer = tidy(() =>
      (graph.initializer ?? []).map((t) => {
        const name = t.name ?? '';
        const value = this.sources.get(name)?.() ?? (this.graph.initializers.get(name) as Tensor);
        const asInt64 = this.graph.initializerTypes.get(name) === DataType.INT64 ? 'int64' : undefined;
        return onnx.TensorProto.create(tensorProto(name, reshape(value, value.shape), asInt64));
      }),
    );
    return onnx.ModelProto.encode(proto).finish();
  }
}

/** Lifts an imported model's recognisable weights into recur layers (see LiftedModel). */
export function liftOnnx(model: OnnxModel): LiftedModel {
  return new LiftedModel(model);
}
