import { type CellSpec, kerasToTorch, type TorchRecurrentWeights } from '@recur/layers';
import type { ExportContext, RecurrentActivation, Value } from '@recur/onnx';
import { dispose, UnsupportedError } from '@recur/tensor';
import type { Bidirectional } from '../layers/bidirectional';
import { RecurrentCell } from '../layers/recurrent-cell';
import type { RNN } from '../layers/rnn';

interface Direction {
  kind: CellSpec;
  units: number;
  weights: TorchRecurrentWeights;
  activations: RecurrentActivation[];
  linearBeforeReset: boolean;
}

/** A Keras recurrent layer's weights and arithmetic in the form the ONNX node takes. */
function direction(ctx: ExportContext, layer: RNN): Direction {
  const cell = layer.cell;
  if (!(cell instanceof RecurrentCell)) {
    throw new UnsupportedError(
      `exportOnnx: layer '${layer.name}' runs the cell '${cell.name}' (${cell.layerType}), which has no ONNX form`,
    );
  }
  if (layer.stateful) {
    throw new UnsupportedError(
      `exportOnnx: layer '${layer.name}' is stateful (carries its state between calls), which an ONNX graph cannot hold`,
    );
  }
  const kind = cell.spec;
  const activations = cell.activationSpecs().map((a) => {
    if (typeof a === 'function')
      throw new UnsupportedError(
        `exportOnnx: layer '${layer.name}' uses an activation function, which has no ONNX name`,
      );
    return ctx.recurrentActivation(layer.name, a);
  });
  const [kernel, recurrentKernel, bias] = cell.getWeights();
  return {
    kind,
    units: cell.units,
    weights: kerasToTorch(kind, { kernel, recurrentKernel, bias }),
    activations,
    linearBeforeReset: cell.linearBeforeReset,
  };
}

/**
 * Keras' masked steps on ONNX: each row's real steps are moved to the front (CumSum of the mask
 * gives each real step its place; ScatterElements builds the source index of every place; a
 * GatherElements reads them), so the recurrent node runs them with `sequence_lens` = their count.
 */
function compact(
  ctx: ExportContext,
  x: string,
  mask: string,
): { x: string; lens: string; place: string; seen: string } {
  const { g } = ctx;
  const m = ctx.cast(mask, 'int64');
  const lens = ctx.cast(ctx.reduce('ReduceSum', m, [1], false), 'int32');
  const seen = g.op('CumSum', [m, g.int('axis', 1)]);
  const place = g.op('Sub', [seen, g.int('one', 1)]);
  const T = ctx.dim(m, 1);
  const shape = g.op('Shape', [m]);
  // Masked steps all go to the spare slot T, dropped afterwards.
  const dest = g.op('Where', [mask, place, g.op('Expand', [T, shape])]);
  const steps = g.op('Range', [g.int('zero', 0), ctx.squeeze(T, [0]), g.int('one', 1)]);
  const updates = g.op('Expand', [ctx.unsqueeze(steps, [0]), shape]);
  const wide = g.op('Concat', [ctx.dim(m, 0), g.op('Add', [T, g.ints('one', [1])])], { axis: 0 });
  const buffer = g.op('ConstantOfShape', [wide], {
    value: { tensor: { dims: [1], dataType: 7, rawData: new Uint8Array(8) } },
  });
  const scattered = g.op('ScatterElements', [buffer, dest, updates], { axis: 1 });
  const source = g.op('Slice', [scattered, g.ints('start', [0]), T, g.ints('axes', [1])]);
  const index = g.op('Expand', [ctx.unsqueeze(source, [2]), g.op('Shape', [x])]);
  return { x: g.op('GatherElements', [x, index], { axis: 1 }), lens, place, seen };
}

/** Puts compacted outputs [B, T, H] back at their steps: a masked step shows the last real output (or zeros). */
function expand(
  ctx: ExportContext,
  y: string,
  c: { place: string; seen: string },
  mask: string,
  zeroMasked: boolean,
): string {
  const { g } = ctx;
  const at = g.op('Max', [c.place, g.int('zero', 0)]);
  const shape = g.op('Concat', [g.op('Shape', [c.place]), ctx.dim(y, 2)], { axis: 0 });
  const index = g.op('Expand', [ctx.unsqueeze(at, [2]), shape]);
  const gathered = g.op('GatherElements', [y, index], { axis: 1 });
  const keep = zeroMasked ? mask : g.op('Greater', [c.seen, g.int('zero', 0)]);
  const zero = g.scalar('zero', 0);
  return g.op('Where', [ctx.unsqueeze(keep, [2]), gathered, zero]);
}

/** Initial states [B, H] of one or two directions → [dirs, B, H]. */
function stateInput(ctx: ExportContext, states: Value[]): string {
  const parts = states.map((s) => ctx.unsqueeze(s.name, [0]));
  return parts.length === 1 ? parts[0] : ctx.g.op('Concat', parts, { axis: 0 });
}

/**
 * A Keras SimpleRNN / LSTM / GRU (or `RNN` over a built-in cell), or a Bidirectional around one,
 * as one ONNX recurrent node: masks through compaction, initial states from the call, the last
 * output, the sequence and the final states as Keras returns them.
 */
export function recurrentOnnx(
  ctx: ExportContext,
  layer: { rnn: RNN } | { bi: Bidirectional },
  inputs: Value[],
  stateCount: number,
): Value[] {
  const { g } = ctx;
  const x = inputs[0];
  const givenStates = stateCount ? inputs.slice(inputs.length - stateCount) : [];
  const bi = 'bi' in layer ? layer.bi : null;
  const fwd = bi ? bi.forwardLayer : (layer as { rnn: RNN }).rnn;
  const dirs = bi ? [direction(ctx, bi.forwardLayer), direction(ctx, bi.backwardLayer)] : [direction(ctx, fwd)];
  const d0 = dirs[0];
  const returnSequences = fwd.returnSequences;
  const returnState = fwd.returnState;
  const mask = x.mask;
  if (mask && !bi && fwd.goBackwards && returnSequences) {
    throw new UnsupportedError(
      `exportOnnx: layer '${fwd.name}' goes backwards over a masked sequence and returns it; its Keras output order has no ONNX form (wrap it in Bidirectional)`,
    );
  }
  const compacted = mask ? compact(ctx, x.name, mask) : null;
  const seqLens = compacted ? compacted.lens : ctx.seqLens;
  const timeMajor = ctx.swap01(compacted ? compacted.x : x.name);
  const nStates = d0.kind.states.length;
  let h0: string | undefined;
  let c0: string | undefined;
  if (givenStates.length) {
    const per = (k: number) => (bi ? [givenStates[k], givenStates[nStates + k]] : [givenStates[k]]);
    h0 = stateInput(ctx, per(0));
    if (nStates === 2) c0 = stateInput(ctx, per(1));
  }
  const r = ctx.recurrentNode(
    d0.kind,
    timeMajor,
    dirs.map((d) => d.weights),
    d0.units,
    {
      reverse: !bi && fwd.goBackwards,
      activations: d0.activations,
      linearBeforeReset: d0.linearBeforeReset,
      seqLens,
      h0,
      c0,
    },
  );
  dispose(dirs.map((d) => d.weights));
  const dirCount = dirs.length;
  // Per direction: the sequence [B, T, H] in Keras' order, or the last output [B, H].
  const outputs: string[] = [];
  for (let d = 0; d < dirCount; d++) {
    if (returnSequences) {
      const yd = dirCount === 2 ? g.op('Slice', [r.y, g.ints('s', [d]), g.ints('e', [d + 1]), g.ints('a', [1])]) : r.y;
      let seq = ctx.swap01(ctx.squeeze(yd, [1]));
      if (compacted && mask) seq = expand(ctx, seq, compacted, mask, fwd.zeroOutputForMask || !!bi);
      else if (!bi && fwd.goBackwards) {
        // Keras returns a backwards layer's outputs in processing order.
        seq = g.op('Slice', [seq, g.ints('s', [-1]), g.ints('e', [-(2 ** 62)]), g.ints('a', [1]), g.ints('st', [-1])]);
      }
      outputs.push(seq);
    } else {
      const hd = dirCount === 2 ? g.op('Slice', [r.h, g.ints('s', [d]), g.ints('e', [d + 1]), g.ints('a', [0])]) : r.h;
      outputs.push(ctx.squeeze(hd, [0]));
    }
  }
  let main: string[];
  if (!bi) main = outputs;
  else {
    const [a, b] = outputs;
    switch (bi.mergeMode) {
      case 'concat':
        main = [g.op('Concat', [a, b], { axis: -1 })];
        break;
      case 'sum':
        main = [g.op('Add', [a, b])];
        break;
      case 'mul':
        main = [g.op('Mul', [a, b])];
        break;
      case 'ave':
        main = [g.op('Div', [g.op('Add', [a, b]), g.scalar('two', 2)])];
        break;
      default:
        main = [a, b];
    }
  }
  const outMask = returnSequences ? mask : undefined;
  const values: Value[] = main.map((name) => ({
    name,
    rank: returnSequences ? 3 : 2,
    dtype: x.dtype === 'float64' ? 'float64' : 'float32',
    mask: outMask,
  }));
  if (returnState) {
    const stateValues = (s: string) =>
      Array.from({ length: dirCount }, (_, d) =>
        ctx.squeeze(
          dirCount === 2 ? g.op('Slice', [s, g.ints('s', [d]), g.ints('e', [d + 1]), g.ints('a', [0])]) : s,
          [0],
        ),
      );
    const hs = stateValues(r.h);
    const cs = r.c ? stateValues(r.c) : [];
    // Keras' order: forward states, then backward states (h then c within each).
    for (let d = 0; d < dirCount; d++) {
      values.push({ name: hs[d], rank: 2, dtype: 'float32' });
      if (cs.length) values.push({ name: cs[d], rank: 2, dtype: 'float32' });
    }
  }
  return values;
}
