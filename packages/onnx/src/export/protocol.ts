import type { onnx } from '../proto';
import type { ExportContext, Value } from './context';

/**
 * A layer that writes its own ONNX nodes: the Keras door's layers do, so `exportOnnx` finds their
 * export through the layer itself (nothing is registered on import). `inputs` are the values the
 * layer is called on; the last `stateCount` of them are a recurrent layer's initial states.
 */
export interface OnnxLayer {
  onnxNodes(ctx: ExportContext, inputs: Value[], stateCount: number): Value[];
}

/** A model that writes its whole graph, its typed inputs and outputs included (a Keras Model). */
export interface OnnxGraph {
  onnxGraph(ctx: ExportContext): { inputs: onnx.IValueInfoProto[]; outputs: onnx.IValueInfoProto[] };
}

export function isOnnxLayer(x: unknown): x is OnnxLayer {
  return typeof (x as Partial<OnnxLayer>)?.onnxNodes === 'function';
}

export function isOnnxGraph(x: unknown): x is OnnxGraph {
  return typeof (x as Partial<OnnxGraph>)?.onnxGraph === 'function';
}
