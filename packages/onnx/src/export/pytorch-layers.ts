import { Dropout, Embedding, Linear, type Module, TorchRecurrent } from '@recur/layers';
import { tidy, transpose, UnsupportedError } from '@recur/tensor';
import type { ExportContext, Value } from './context';
import { isOnnxLayer } from './protocol';
import { torchInChain } from './torch';

/** nn.Linear: MatMul with the transposed weight, then the bias. */
function linear(ctx: ExportContext, layer: Linear, x: Value): Value {
  const { g } = ctx;
  const sd = layer.stateDict();
  const kernel = tidy(() => transpose(sd.weight));
  let y = g.op('MatMul', [x.dtype === 'int32' ? ctx.cast(x.name, 'float32') : x.name, g.constant('kernel', kernel)]);
  kernel.dispose();
  if (sd.bias) y = g.op('Add', [y, g.constant('bias', sd.bias)]);
  return { name: y, rank: x.rank, dtype: x.dtype === 'float64' ? 'float64' : 'float32', mask: x.mask };
}

/** nn.Embedding: a Gather on the table. */
function embedding(ctx: ExportContext, layer: Embedding, x: Value): Value {
  const { g } = ctx;
  const table = layer.stateDict().weight;
  const y = g.op('Gather', [g.constant('embedding', table), ctx.cast(x.name, 'int64')], { axis: 0 });
  return { name: y, rank: x.rank + 1, dtype: table.dtype === 'float64' ? 'float64' : 'float32' };
}

/**
 * One layer of a chain (a layers Sequential, a RecurrentLM): the PyTorch door's layers are written
 * here; any other layer writes itself (`OnnxLayer`, as the Keras door's layers do).
 */
export function chainLayer(ctx: ExportContext, layer: Module, x: Value): Value {
  if (layer instanceof TorchRecurrent) return torchInChain(ctx, layer, x);
  if (layer instanceof Linear) return linear(ctx, layer, x);
  if (layer instanceof Embedding) return embedding(ctx, layer, x);
  if (layer instanceof Dropout) return x;
  if (isOnnxLayer(layer)) return layer.onnxNodes(ctx, [x], 0)[0];
  throw new UnsupportedError(`exportOnnx: layer '${layer.name}' (${layer.layerType}) has no ONNX export`);
}
