import { ConfigError } from '@recur/tensor';
import type { Layer } from './layer';
import type { Node, SymbolicTensor } from './symbolic';

/** A model graph in Keras' order: the nodes to run (deepest first) and the layers. */
export interface GraphMap {
  /** Every node between the inputs and the outputs, in an order that runs (decreasing depth). */
  nodes: Node[];
  /** The layers by decreasing depth, ties broken by traversal order (Keras' `model.layers`). */
  layers: Layer[];
  /** Each layer's depth (0 at the outputs). */
  layerDepth: Map<Layer, number>;
}

/**
 * Keras' map_graph: walks back from the outputs, gives every node a depth (the longest path to
 * an output), and orders nodes and layers by decreasing depth, so each node comes after the nodes
 * it reads. Checks that every output is reachable from the inputs and every input is used.
 */
export function mapGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): GraphMap {
  const finished = new Set<Node>();
  const inProgress = new Set<Node>();
  const decreasingDepth: Node[] = [];
  const layerIndices = new Map<Layer, number>();

  const visit = (t: SymbolicTensor): void => {
    const node = t.node;
    if (finished.has(node)) return;
    if (inProgress.has(node)) {
      throw new ConfigError(`model graph: the graph has a cycle at layer '${node.layer.name}'`);
    }
    if (!layerIndices.has(node.layer)) layerIndices.set(node.layer, layerIndices.size);
    inProgress.add(node);
    for (const input of node.inputs) visit(input);
    finished.add(node);
    inProgress.delete(node);
    decreasingDepth.push(node);
  };
  for (const o of outputs) visit(o);

  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...decreasingDepth].reverse()) {
    let depth = nodeDepth.get(node) ?? 0;
    depth = Math.max(depth, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const parent of node.parents) nodeDepth.set(parent, Math.max(depth + 1, nodeDepth.get(parent) ?? 0));
  }
  const nodes = [...nodeDepth.keys()].sort((a, b) => (nodeDepth.get(b) ?? 0) - (nodeDepth.get(a) ?? 0));
  const layers = [...layerDepth.keys()].sort(
    (a, b) =>
      (layerDepth.get(b) ?? 0) - (layerDepth.get(a) ?? 0) || (layerIndices.get(a) ?? 0) - (layerIndices.get(b) ?? 0),
  );

  // Every node's inputs must come from the model's inputs (Keras' "Graph disconnected").
  const computable = new Set<SymbolicTensor>(inputs);
  const reached: string[] = [];
  for (const node of nodes) {
    if (node.inputs.length === 0) {
      if (!node.outputs.every((t) => computable.has(t))) {
        const missing = node.outputs.find((t) => !computable.has(t)) as SymbolicTensor;
        throw new ConfigError(
          `model graph disconnected: cannot obtain a value for input '${missing.name}' ${JSON.stringify(missing.shape)} of layer '${node.layer.name}': it is not among the model's inputs (layers reached without issue: ${reached.join(', ') || 'none'})`,
        );
      }
      continue;
    }
    for (const t of node.inputs) {
      if (!computable.has(t)) {
        throw new ConfigError(
          `model graph disconnected: cannot obtain a value for '${t.name}' ${JSON.stringify(t.shape)} at layer '${node.layer.name}' (layers reached without issue: ${reached.join(', ') || 'none'})`,
        );
      }
    }
    for (const t of node.outputs) computable.add(t);
    if (!reached.includes(node.layer.name)) reached.push(node.layer.name);
  }
  const unused = inputs.filter((t) => !nodeDepth.has(t.node));
  if (unused.length) {
    throw new ConfigError(
      `model graph: input ${unused.map((t) => `'${t.name}' ${JSON.stringify(t.shape)}`).join(', ')} is not connected to any output`,
    );
  }

  return { nodes, layers, layerDepth };
}

/**
 * The one walk of a model graph (Keras 3's `_run_through_graph`): values for the inputs, then every
 * node in running order, `call` mapping the values a node reads to the values it makes. Running
 * the model (tensors and masks), shape inference (symbolic shapes), the summary and the ONNX
 * export (graph value names) are this walk with different values.
 */
export function walkGraph<V>(
  graph: { inputs: readonly SymbolicTensor[]; nodes: readonly Node[]; outputs: readonly SymbolicTensor[] },
  inputs: readonly V[],
  call: (node: Node, values: V[]) => V[],
): V[] {
  const values = new Map<SymbolicTensor, V>();
  graph.inputs.forEach((t, i) => values.set(t, inputs[i]));
  const lookup = (t: SymbolicTensor, node: Node): V => {
    if (!values.has(t)) {
      throw new ConfigError(`model graph: no value for '${t.name}' at layer '${node.layer.name}'`);
    }
    return values.get(t) as V;
  };
  for (const node of graph.nodes) {
    if (node.inputs.length === 0) continue;
    const outs = call(
      node,
      node.inputs.map((t) => lookup(t, node)),
    );
    if (outs.length < node.outputs.length) {
      throw new ConfigError(
        `model graph: layer '${node.layer.name}' gave ${outs.length} outputs, the model expects ${node.outputs.length}`,
      );
    }
    node.outputs.forEach((t, i) => values.set(t, outs[i]));
  }
  return graph.outputs.map((t) => lookup(t, graph.nodes[graph.nodes.length - 1] ?? t.node));
}
