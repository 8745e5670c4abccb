import type { ExportContext, onnx, Value } from '@recur/onnx';
import { UnsupportedError } from '@recur/tensor';
import type { Functional } from '../engine/functional';
import { walkGraph } from '../engine/graph';
import type { Node } from '../engine/symbolic';

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

/** Writes a functional graph's nodes in their running order (the model's one graph walk), from values for its inputs. */
export function graphOnnx(ctx: ExportContext, model: Functional, inputs: Value[]): Value[] {
  return walkGraph({ inputs: model.inputs, nodes: model.graphNodes, outputs: model.outputs }, inputs, (node, ins) =>
    exportCall(ctx, node, ins),
  );
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
