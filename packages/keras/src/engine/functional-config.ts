import { ConfigError } from '@recur/tensor';
import type { ConfigContext, LayerSpec } from './config';
import { InputLayer } from './input-layer';
import type { Layer } from './layer';
import type { SymbolicTensor } from './symbolic';

// Keras' functional config (layers with their calls, the model's inputs and outputs) and the loop
// that rebuilds a graph from it.

/** A layer as the config names it, with its calls: [[layer, node, tensor, kwargs], ...] per call. */
export interface FunctionalLayerConfig extends LayerSpec {
  /** The layer's name. */
  name: string;
  /** Each call's inputs: [layer name, node index, tensor index, call arguments]. */
  inboundNodes: [string, number, number, Record<string, unknown>][][];
}

/** Keras' functional model config. */
export interface FunctionalConfig {
  /** The model's name. */
  name: string;
  /** Every layer with its calls. */
  layers: FunctionalLayerConfig[];
  /** The model's inputs: [layer name, node index, tensor index]. */
  inputLayers: [string, number, number][];
  /** The model's outputs: [layer name, node index, tensor index]. */
  outputLayers: [string, number, number][];
  /** Whether its weights train. */
  trainable?: boolean;
}

/** Rebuilds layers and calls from a functional config; returns the model's symbolic inputs and outputs. */
export function rebuildGraph(
  config: FunctionalConfig,
  context: ConfigContext,
): {
  /** The rebuilt graph's inputs. */
  inputs: SymbolicTensor[];
  /** Its outputs. */
  outputs: SymbolicTensor[];
  /** The model's name. */
  name: string;
} {
  if (
    !config ||
    !Array.isArray(config.layers) ||
    !Array.isArray(config.inputLayers) ||
    !Array.isArray(config.outputLayers)
  ) {
    throw new ConfigError(
      'functional config: expected { name, layers: [...], inputLayers: [...], outputLayers: [...] }',
    );
  }
  const layers = new Map<string, Layer>();
  const created = new Map<string, SymbolicTensor[][]>();
  const pending: { layer: Layer; spec: FunctionalLayerConfig; node: number }[] = [];
  for (const spec of config.layers) {
    if (!spec || typeof spec.name !== 'string')
      throw new ConfigError(`functional config: a layer entry has no name: ${JSON.stringify(spec)}`);
    if (layers.has(spec.name)) throw new ConfigError(`functional config: the layer name '${spec.name}' is used twice`);
    const layer = context.deserialize({ className: spec.className, config: { ...spec.config, name: spec.name } });
    layers.set(spec.name, layer);
    created.set(spec.name, layer instanceof InputLayer ? [[layer.output]] : []);
    if (!Array.isArray(spec.inboundNodes))
      throw new ConfigError(`functional config: layer '${spec.name}' has no inboundNodes list`);
    spec.inboundNodes.forEach((_, node) => pending.push({ layer, spec, node }));
  }
  const lookup = (ref: unknown, where: string): SymbolicTensor | undefined => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string') {
      throw new ConfigError(`functional config: ${where}: expected [layer, node, tensor], got ${JSON.stringify(ref)}`);
    }
    const [name, node, index] = ref as [string, number, number];
    if (!layers.has(name)) throw new ConfigError(`functional config: ${where} refers to an unknown layer '${name}'`);
    return created.get(name)?.[node ?? 0]?.[index ?? 0];
  };
  // Keras' loop: process a layer's nodes in order once their inputs exist, until nothing changes.
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      const made = created.get(p.spec.name) as SymbolicTensor[][];
      if (made.length !== p.node) continue;
      const refs = p.spec.inboundNodes[p.node];
      const ins = refs.map((r) => lookup(r, `layer '${p.spec.name}' node ${p.node}`));
      if (ins.some((t) => !t)) continue;
      const tensors = ins as SymbolicTensor[];
      const states = p.layer.takesInitialState ? tensors.slice(1) : [];
      const main = p.layer.takesInitialState || tensors.length === 1 ? tensors[0] : tensors;
      const out = p.layer.apply(main as SymbolicTensor, states.length ? { initialState: states } : {});
      made.push(Array.isArray(out) ? out : [out]);
      pending.splice(i, 1);
      i--;
      progress = true;
    }
  }
  if (pending.length) {
    const p = pending[0];
    throw new ConfigError(
      `functional config: layer '${p.spec.name}' node ${p.node} reads tensors that no layer produces: ${JSON.stringify(p.spec.inboundNodes[p.node])}`,
    );
  }
  const resolve = (refs: [string, number, number][], what: string) =>
    refs.map((r) => {
      const t = lookup(r, what);
      if (!t) throw new ConfigError(`functional config: ${what} ${JSON.stringify(r)} is not produced by any node`);
      return t;
    });
  return {
    inputs: resolve(config.inputLayers, 'input'),
    outputs: resolve(config.outputLayers, 'output'),
    name: config.name,
  };
}
