import type { ExportContext, onnx, Value } from '@recur/onnx';
import { UnsupportedError } from '@recur/tensor';
import type { Functional } from '../engine/functional';
import type { Node, SymbolicTensor } from '../engine/symbolic';

/** A symbolic shape as ONNX dims: free batch and time axes become named (dynamic) dims. */
export function onnxDims(shape: readonly (number | null)[], prefix = ''): (number | string)[] {
  return shape.map((d, i) =>
    d !== null ? d : i === 0 ? 'batch' : i === 1 ? `${prefix}sequence` : `${prefix}dim_${i}`,
  );
}

/** One call of a layer: the layer writes itself (a nested model inline). */
function exportCall(ctx: ExportContext, node: Node, inputs: Value[]): Value[] {
  const layer = node.layer as unknown as Partial<{ onnxNodes(c: ExportContext, v: Value[], n: number): Value[] }>;
  if (typeof layer.onnxNodes !== 'function') {
    throw new UnsupportedError(`exportOnnx: layer '${node.layer.name}' (${node.layer.layerType}) has no ONNX export`);
  }
  return layer.onnxNodes(ctx, inputs, node.args.initialStates);
}

/** Writes a functional graph's nodes in their running order, from values for its inputs; returns its outputs. */
export function graphOnnx(ctx: ExportContext, model: Functional, inputs: Value[]): Value[] {
  const values = new Map<SymbolicTensor, Value>();
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
export function modelOnnx(
  ctx: ExportContext,
  model: Functional,
): { inputs: onnx.IValueInfoProto[]; outputs: onnx.IValueInfoProto[] } {
  const { g } = ctx;
  const inputInfos: onnx.IValueInfoProto[] = [];
  const inputs: Value[] = model.inputs.map((t) => {
    const name = t.node.layer.name;
    const dtype = t.dtype === 'int32' ? 'int32' : t.dtype === 'float64' ? 'float64' : 'float32';
    // Several inputs may have time axes of different lengths: each gets its own dim name.
    const prefix = model.inputs.length > 1 ? `${name}_` : '';
    inputInfos.push(ctx.valueInfo(name, dtype, onnxDims(t.shape, prefix)));
    return { name, rank: t.shape.length, dtype };
  });
  const outs = graphOnnx(ctx, model, inputs);
  const used = new Set(inputInfos.map((i) => i.name as string));
  const outputInfos = outs.map((v, i) => {
    const t = model.outputs[i];
    let name = t.node.layer.name;
    if (used.has(name)) name = `${name}_${t.index}`;
    while (used.has(name)) name = `${name}_${i}`;
    used.add(name);
    g.nodes.push({ opType: 'Identity', input: [v.name], output: [name], name: `output_${name}` });
    const prefix = model.inputs.length > 1 || model.outputs.length > 1 ? `${name}_` : '';
    return ctx.valueInfo(name, v.dtype === 'float64' ? 'float64' : 'float32', onnxDims(t.shape, prefix));
  });
  return { inputs: inputInfos, outputs: outputInfos };
}
