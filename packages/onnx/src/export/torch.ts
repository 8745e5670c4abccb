import type { TorchRecurrent } from '@recur/layers';
import { UnsupportedError } from '@recur/tensor';
import { recurrentActivation } from './activations';
import type { ExportContext, Value } from './context';
import type { GraphWriter } from './graph-writer';
import { recurrentNode } from './recurrent-node';

/** [T, dirs, B, H] → [T, B, dirs·H] */
export function mergeDirections(g: GraphWriter, y: string): string {
  const t = g.op('Transpose', [y], { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [t, g.ints('shape', [0, 0, -1])]);
}

/**
 * A PyTorch-style RNN / LSTM / GRU (stacked, bidirectional) over time-major x: one ONNX node per
 * layer; returns the last layer's output [T, B, dirs·H] and every layer's final states.
 */
export function torchLayer(
  ctx: ExportContext,
  layer: TorchRecurrent,
  x: string,
  state?: { h0: string; c0?: string },
): { y: string; h: string[]; c: string[] } {
  const { g } = ctx;
  if (layer.projSize > 0) {
    throw new UnsupportedError(`exportOnnx: ${layer.name} uses projSize, which the ONNX LSTM operator cannot express`);
  }
  const sd = layer.stateDict();
  let cur = x;
  const hs: string[] = [];
  const cs: string[] = [];
  const D = layer.directions;
  const layerSlice = (t: string, l: number) =>
    g.op('Slice', [t, g.ints('starts', [l * D]), g.ints('ends', [(l + 1) * D]), g.ints('axes', [0])]);
  for (let l = 0; l < layer.numLayers; l++) {
    const dirs = Array.from({ length: D }, (_, d) => {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      return {
        wIh: sd[`weight_ih${sfx}`],
        wHh: sd[`weight_hh${sfx}`],
        bIh: sd[`bias_ih${sfx}`],
        bHh: sd[`bias_hh${sfx}`],
      };
    });
    const r = recurrentNode(ctx, layer.cell, cur, dirs, layer.hiddenSize, {
      reverse: false,
      activations: layer.activationNames.map((a) => recurrentActivation(layer.name, a)),
      linearBeforeReset: true,
      seqLens: ctx.seqLens,
      h0: state ? layerSlice(state.h0, l) : undefined,
      c0: state?.c0 ? layerSlice(state.c0, l) : undefined,
    });
    hs.push(r.h);
    if (r.c) cs.push(r.c);
    cur = mergeDirections(g, r.y);
  }
  return { y: cur, h: hs, c: cs };
}

/** A batch-first PyTorch-style recurrent layer inside a layer chain: its output only. */
export function torchInChain(ctx: ExportContext, layer: TorchRecurrent, x: Value): Value {
  if (!layer.batchFirst) throw new UnsupportedError(`exportOnnx: ${layer.name} inside a model must be batchFirst`);
  const r = torchLayer(ctx, layer, ctx.swap01(x.name));
  return { name: ctx.swap01(r.y), rank: 3, dtype: x.dtype };
}
