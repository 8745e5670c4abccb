import type { ExportContext, Value as OnnxValue, onnx } from '@recur/onnx';
import { ConfigError, ShapeError, type Tensor, tidy } from '@recur/tensor';
import { graphOnnx, modelOnnx } from '../onnx/graph';
import { type ConfigContext, specOf } from './config';
import { type FunctionalConfig, type FunctionalLayerConfig, rebuildGraph } from './functional-config';
import { mapGraph, walkGraph } from './graph';
import { InputLayer } from './input-layer';
import { type CallArgs, Layer, type Mask } from './layer';
import { printSummary, type SummaryOptions, type SummaryRow, summaryTable } from './summary';
import { isSymbolic, type Node, type ShapeArg, type SymbolicShape, type SymbolicTensor } from './symbolic';

/** What a functional model is made from: its symbolic inputs and outputs (Keras' Model(inputs, outputs)). */
export interface FunctionalOptions {
  /** The model's inputs, from `Input`. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs, from layer calls on the inputs. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** The model's name (default generated). */
  name?: string;
  /** Whether its weights train (default true). */
  trainable?: boolean;
}

/** A layer's outputs and their masks, as one node of the graph produced them. */
interface Value {
  tensor: Tensor;
  mask: Mask;
}

/**
 * A model as a graph of layer calls (Keras' Functional): built from symbolic inputs and outputs,
 * run in Keras' order with masks flowing along the edges, usable as a layer inside another model.
 * `@recur/keras`' `Model` adds compile / fit / evaluate / predict and saving on top.
 */
export class Functional extends Layer {
  /** The class name configs and files use for it. */
  static readonly className: string = 'Functional';
  override get layerType(): string {
    return 'Functional';
  }

  private graph: {
    inputs: SymbolicTensor[];
    outputs: SymbolicTensor[];
    layers: Layer[];
    nodes: Node[];
    listInput: boolean;
  } | null = null;

  /** A graph model; a subclass (Sequential) may leave out inputs and outputs and set its graph once it knows its input. */
  constructor(options?: Partial<FunctionalOptions>) {
    super({ name: options?.name, trainable: options?.trainable });
    this.supportsMasking = true;
    if (options?.inputs !== undefined || options?.outputs !== undefined) {
      if (!options.inputs || !options.outputs) throw new ConfigError(`${this.name}: a model needs inputs and outputs`);
      this.setGraph(options.inputs, options.outputs);
    }
  }

  /**
   * (Re)sets the graph from symbolic inputs and outputs: checks them, orders the nodes and layers
   * as Keras does, and adopts the layers as sub-modules (so weights are in Keras order).
   */
  protected setGraph(given: SymbolicTensor | SymbolicTensor[], givenOutputs: SymbolicTensor | SymbolicTensor[]): void {
    const inputs = Array.isArray(given) ? given : [given];
    const outputs = Array.isArray(givenOutputs) ? givenOutputs : [givenOutputs];
    if (inputs.length === 0 || outputs.length === 0) {
      throw new ConfigError(`${this.name}: a model needs at least one input and one output`);
    }
    for (const [what, list] of [
      ['input', inputs],
      ['output', outputs],
    ] as const) {
      list.forEach((t, i) => {
        if (!isSymbolic(t)) {
          throw new ConfigError(
            `${this.name}: ${what} ${i} is not a symbolic tensor (make inputs with keras.Input and outputs by applying layers to them)`,
          );
        }
      });
    }
    inputs.forEach((t, i) => {
      if (!(t.node.layer instanceof InputLayer)) {
        throw new ConfigError(
          `${this.name}: input ${i} ('${t.name}') must come straight from keras.Input, not from layer '${t.node.layer.name}'`,
        );
      }
    });
    const map = mapGraph(inputs, outputs);
    const names = new Map<string, number>();
    for (const l of map.layers) names.set(l.name, (names.get(l.name) ?? 0) + 1);
    const dup = [...names].find(([, n]) => n > 1);
    if (dup)
      throw new ConfigError(`${this.name}: the layer name '${dup[0]}' is used ${dup[1]} times; names must be unique`);
    this.graph = { inputs, outputs, layers: map.layers, nodes: map.nodes, listInput: Array.isArray(given) };
    this.multiOutput = Array.isArray(givenOutputs);
    this.resetModules();
    for (const l of map.layers) this.registerModule(l.name, l);
    this.markBuilt();
  }

  private get g() {
    if (!this.graph) {
      throw new ConfigError(
        `${this.name}: the model is not built yet; give the first layer an inputShape or call build(shape)`,
      );
    }
    return this.graph;
  }

  /** Whether the model has its graph (a Sequential without an input shape has none yet). */
  get hasGraph(): boolean {
    return this.graph !== null;
  }

  /** The model's symbolic inputs. */
  get inputs(): SymbolicTensor[] {
    return this.g.inputs;
  }

  /** The model's symbolic outputs. */
  get outputs(): SymbolicTensor[] {
    return this.g.outputs;
  }

  /** The layers, in Keras' order (inputs first, by decreasing depth). */
  get layers(): Layer[] {
    return this.graph ? this.graph.layers : [];
  }

  private get nodes(): Node[] {
    return this.g.nodes;
  }

  /** The calls of the graph in the order they run (exporters walk them). */
  get graphNodes(): readonly Node[] {
    return this.g.nodes;
  }

  private get listInput(): boolean {
    return this.g.listInput;
  }

  /** The input layers, in model input order. */
  get inputLayers(): InputLayer[] {
    return this.inputs.map((t) => t.node.layer as InputLayer);
  }

  /** A layer by name (Keras' get_layer); an unknown name is an error listing the layers. */
  getLayer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l)
      throw new ConfigError(
        `${this.name}: no layer named '${name}' (layers: ${this.layers.map((x) => x.name).join(', ')})`,
      );
    return l;
  }

  /** This model's own calls of `layer`, in order (a shared layer may also be called by other models). */
  callsOf(layer: Layer): Node[] {
    return layer.inboundNodes.filter((n) => this.nodes.includes(n));
  }

  /** Runs the graph; returns one tensor, or a list when the model was made with a list of outputs. */
  override forward(inputs: Tensor | Tensor[], args: CallArgs = {}): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const masks = Array.isArray(args.mask) ? args.mask : [args.mask ?? null];
    const { outputs } = this.run(list, masks, args.training);
    return this.multiOutput ? outputs : outputs[0];
  }

  /** Runs the graph on real tensors and returns the outputs with their masks. */
  run(
    inputs: Tensor[],
    inputMasks: Mask[] = [],
    training?: boolean,
  ): {
    /** The model's outputs, in order. */
    outputs: Tensor[];
    /** Their masks (null where none). */
    masks: Mask[];
  } {
    if (inputs.length !== this.inputs.length) {
      throw new ConfigError(
        `${this.name}: expected ${this.inputs.length} input(s) (${this.inputs.map((t) => `'${t.name}' ${JSON.stringify(t.shape)}`).join(', ')}), got ${inputs.length}`,
      );
    }
    inputs.forEach((x, i) => checkCompatible(this.name, this.inputs[i], x));
    const train = training ?? this.training;
    return tidy(() => {
      const given = inputs.map((tensor, i) => ({ tensor, mask: inputMasks[i] ?? null }));
      const found = walkGraph(this.g, given, (node, ins) => callNode(node, ins, node.args.training ?? train));
      return { outputs: found.map((v) => v.tensor), masks: found.map((v) => v.mask) };
    });
  }

  override computeOutputShape(inputShape: ShapeArg): SymbolicShape | SymbolicShape[] {
    const shapes = (this.listInput ? inputShape : [inputShape]) as SymbolicShape[];
    const result = this.shapesThrough(this.inputs.map((t, i) => shapes[i] ?? t.shape)).outputs;
    return this.multiOutput ? result : result[0];
  }

  /** Shape inference: the graph walked with shapes; returns the outputs' and every node's output shapes. */
  private shapesThrough(inputShapes: SymbolicShape[]): {
    outputs: SymbolicShape[];
    byNode: Map<Node, SymbolicShape[]>;
  } {
    const byNode = new Map<Node, SymbolicShape[]>();
    const outputs = walkGraph(this.g, inputShapes, (node, ins) => {
      const out = node.layer.computeOutputShape(node.args.list ? ins : ins[0]);
      const outs = Array.isArray(out[0]) ? (out as SymbolicShape[]) : [out as SymbolicShape];
      const shaped = node.outputs.map((t, i) => outs[i] ?? t.shape);
      byNode.set(node, shaped);
      return shaped;
    });
    return { outputs, byNode };
  }

  /** One row per layer: name, type, output shape, parameters and (for graphs) what it is connected to. */
  summaryRows(): SummaryRow[] {
    const { byNode } = this.shapesThrough(this.inputs.map((t) => t.shape));
    return this.layers.map((layer) => {
      const nodes = this.callsOf(layer);
      const shapes = nodes.map((n) => {
        const out = byNode.get(n) ?? n.outputs.map((o) => o.shape);
        return out.length === 1 ? out[0] : out;
      });
      const outputShape = shapes.length === 1 ? shapes[0] : 'multiple';
      const connectedTo = nodes.flatMap((n) =>
        n.inputs.map((t) => `${t.node.layer.name}[${this.nodeIndex(t.node)}][${t.index}]`),
      );
      return { name: layer.name, className: layer.layerType, outputShape, params: layer.countParams(), connectedTo };
    });
  }

  /**
   * Prints a Keras-style summary table (Layer (type), Output Shape, Param #, Connected to), line by
   * line through `print` (default console.log), and returns its text.
   */
  summary(options: SummaryOptions = {}): string {
    const text = summaryTable(
      this.name,
      this.summaryRows(),
      { connected: true, lineLength: options.lineLength },
      this.trainableCount(),
    );
    return printSummary(text, options);
  }

  /** Trainable parameters, for the summary. */
  protected trainableCount(): number {
    return this.trainableParameters().reduce((n, p) => n + p.value.size, 0);
  }

  /** The index of a node among its layer's calls inside this model (Keras renumbers them per model). */
  protected nodeIndex(node: Node): number {
    return this.callsOf(node.layer).indexOf(node);
  }

  override computeMask(_inputs: Tensor | Tensor[], _mask?: Mask | Mask[]): Mask | Mask[] {
    return this.multiOutput ? this.outputs.map(() => null) : null;
  }

  /** Keras' functional config: the layers with their inbound nodes, and the model's input and output layers. */
  override getConfig(): Record<string, unknown> {
    const layers: FunctionalLayerConfig[] = this.layers.map((layer) => {
      const spec = specOf(layer);
      return {
        name: layer.name,
        className: spec.className,
        config: spec.config,
        inboundNodes: this.callsOf(layer)
          .filter((n) => n.inputs.length > 0)
          .map((n) => n.inputs.map((t) => [t.node.layer.name, this.nodeIndex(t.node), t.index, {}])),
      };
    });
    const ref = (t: SymbolicTensor): [string, number, number] => [t.node.layer.name, this.nodeIndex(t.node), t.index];
    const config: FunctionalConfig = {
      name: this.name,
      trainable: this.trainable,
      layers,
      inputLayers: this.inputs.map(ref),
      outputLayers: this.outputs.map(ref),
    };
    return config as unknown as Record<string, unknown>;
  }

  /** Rebuilds the graph from a functional config (layers first, then their calls, in an order that resolves). */
  static fromConfig(config: Record<string, unknown>, context: ConfigContext): Functional {
    const { inputs, outputs, name } = rebuildGraph(config as unknown as FunctionalConfig, context);
    const one = (list: SymbolicTensor[]) => (list.length === 1 ? list[0] : list);
    // `this`: subclasses (the Keras Model) rebuild as themselves.
    return new this({
      inputs: one(inputs),
      outputs: one(outputs),
      name,
      trainable: (config as { trainable?: boolean }).trainable,
    });
  }

  /** Called inside another model's graph: this model's nodes, written inline. */
  onnxNodes(ctx: ExportContext, inputs: OnnxValue[]): OnnxValue[] {
    return graphOnnx(ctx, this, inputs);
  }

  /** The whole graph, with typed inputs (named for their layers) and outputs; `exportOnnx` calls it. */
  onnxGraph(ctx: ExportContext): {
    /** The graph's inputs. */
    inputs: onnx.IValueInfoProto[];
    /** The graph's outputs. */
    outputs: onnx.IValueInfoProto[];
  } {
    return modelOnnx(ctx, this);
  }
}

/** Calls one node's layer on real values: list layers get the list, recurrent layers their initial states. */
function callNode(node: Node, ins: Value[], training: boolean): Value[] {
  const layer = node.layer;
  const tensors = ins.map((v) => v.tensor);
  const masks = ins.map((v) => v.mask);
  if (layer instanceof Functional) {
    const r = layer.run(tensors, masks, training);
    return r.outputs.map((tensor, i) => ({ tensor, mask: r.masks[i] ?? null }));
  }
  const stateCount = node.args.initialStates;
  const main = node.args.list ? tensors : tensors[0];
  const mask = node.args.list ? masks : masks[0];
  const call: CallArgs = {
    mask: node.args.list ? mask : (mask ?? undefined),
    training,
    initialState: stateCount ? tensors.slice(tensors.length - stateCount) : undefined,
  };
  const result = layer.forward(main, call);
  const outs = node.outputs.length > 1 || Array.isArray(result) ? (result as Tensor[]) : [result as Tensor];
  const outMasks = layer.computeMask(main, mask);
  const maskList = Array.isArray(outMasks) ? outMasks : [outMasks];
  return outs.map((tensor, i) => ({ tensor, mask: maskList[i] ?? null }));
}

/** A real input against its symbolic shape: same rank, same known sizes. */
function checkCompatible(model: string, t: SymbolicTensor, x: Tensor): void {
  const ok = x.rank === t.shape.length && t.shape.every((d, i) => d === null || d === x.shape[i]);
  if (!ok) {
    throw new ShapeError(
      `${model}: input '${t.name}' expects shape ${JSON.stringify(t.shape)} (null = any size), got [${x.shape.join(', ')}]`,
    );
  }
}
