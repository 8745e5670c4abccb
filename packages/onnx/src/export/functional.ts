import { keras, TorchRecurrent } from '@recur/layers';
import { UnsupportedError } from '@recur/tensor';
import { valueInfo } from '../builder';
import type { onnx } from '../proto';
import type { ExportContext, Value } from './context';
import { exporterFor } from './keras-layers';
import { torchInChain } from './torch';

/** A symbolic shape as ONNX dims: free batch and time axes become named (dynamic) dims. */
export function onnxDims(shape: readonly (number | null)[], prefix = ''): (number | string)[] {
  return shape.map((d, i) =>
    d !== null ? d : i === 0 ? 'batch' : i === 1 ? `${prefix}sequence` : `${prefix}dim_${i}`,
  );
}

/** Runs the export of one call of a layer (a nested model inline). */
function exportCall(ctx: ExportContext, node: keras.Node, inputs: Value[]): Value[] {
  const layer = node.layer;
  if (layer instanceof keras.Functional) return exportGraph(ctx, layer, inputs);
  if (layer instanceof TorchRecurrent) return [torchInChain(ctx, layer, inputs[0])];
  return exporterFor(layer)(ctx, layer, inputs, node.args.initialStates);
}

/** Writes a functional graph's nodes in their running order, from values for its inputs; returns its outputs. */
export function exportGraph(ctx: ExportContext, model: keras.Functional, inputs: Value[]): Value[] {
  const values = new Map<keras.SymbolicTensor, Value>();
  model.inputs.forEach((t, i) => values.set(t, inputs[i]));
  for (const node of model.graphNodes) {
    if (node.inputs.length === 0) continue;
    const ins = node.inputs.map((t) => {
      const v = values.get(t);
      if (!v) throw new UnsupportedError(`exportOnnx: no value for ${t.name} at layer '${node.layer.name}'`);
      return v;
    });
    const outs = exportCall(ctx, node, ins);
    if (outs.length < node.outputs.length) {
      throw new UnsupportedError(
        `exportOnnx: layer '${node.layer.name}' gave ${outs.length} outputs, the model expects ${node.outputs.length}`,
      );
    }
    node.outputs.forEach((t, i) => values.set(t, outs[i]));
  }
  return model.outputs.map((t) => values.get(t) as Value);
}

/** A Keras functional model (Model, Sequential) as graph inputs, nodes and named, typed outputs. */
export function exportFunctional(
  ctx: ExportContext,
  model: keras.Functional,
): { inputs: onnx.IValueInfoProto[]; outputs: onnx.IValueInfoProto[] } {
  const { g } = ctx;
  const inputInfos: onnx.IValueInfoProto[] = [];
  const inputs: Value[] = model.inputs.map((t) => {
    const name = t.node.layer.name;
    const dtype = t.dtype === 'int32' ? 'int32' : t.dtype === 'float64' ? 'float64' : 'float32';
    // Several inputs may have time axes of different lengths: each gets its own dim name.
    const prefix = model.inputs.length > 1 ? `${name}_` : '';
    inputInfos.push(valueInfo(name, dtype, onnxDims(t.shape, prefix)));
    return { name, rank: t.shape.length, dtype };
  });
  const outs = exportGraph(ctx, model, inputs);
  const used = new Set(inputInfos.map((i) => i.name as string));
  const outputInfos = outs.map((v, i) => {
    const t = model.outputs[i];
    let name = t.node.layer.name;
    if (used.has(name)) name = `${name}_${t.index}`;
    while (used.has(name)) name = `${name}_${i}`;
    used.add(name);
    g.nodes.push({ opType: 'Identity', input: [v.name], output: [name], name: `output_${name}` });
    const prefix = model.inputs.length > 1 || model.outputs.length > 1 ? `${name}_` : '';
    return valueInfo(name, v.dtype === 'float64' ? 'float64' : 'float32', onnxDims(t.shape, prefix));
  });
  return { inputs: inputInfos, outputs: outputInfos };
}
