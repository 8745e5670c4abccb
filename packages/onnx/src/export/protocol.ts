import type { onnx } from '../proto';
import type { ExportContext, Value } from './context';

/**
 * A layer that writes its own ONNX nodes: the Keras door's layers do, so `exportOnnx` finds their
 * export through the layer itself (nothing is registered on import). `inputs` are the values the
 * layer is called on; the last `stateCount` of them are a recurrent layer's initial states.
 */
export interface OnnxLayer {
  /** Writes the layer's nodes for these inputs; returns its outputs. */
  onnxNodes(ctx: ExportContext, inputs: Value[], stateCount: number): Value[];
}

/** A model that writes its whole graph, its typed inputs and outputs included (a Keras Model). */
export interface OnnxGraph {
  /** Writes the whole graph; returns its typed inputs and outputs. */
  onnxGraph(ctx: ExportContext): {
    /** The graph's inputs. */
    inputs: onnx.IValueInfoProto[];
    /** The graph's outputs. */
    outputs: onnx.IValueInfoProto[];
  };
}

/** Whether x writes its own ONNX nodes. */
export function isOnnxLayer(x: unknown): x is OnnxLayer {
  return typeof (x as Partial<OnnxLayer>)?.onnxNodes === 'function';
}

/** Whether x writes its whole ONNX graph. */
export function isOnnxGraph(x: unknown): x is OnnxGraph {
  return typeof (x as Partial<OnnxGraph>)?.onnxGraph === 'function';
}
