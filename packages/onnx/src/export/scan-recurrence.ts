import type { CellSpec, TorchRecurrentWeights } from '@recur/layers';
import { tidy, transpose, UnsupportedError } from '@recur/tensor';
import { valueInfo } from '../builder';
import type { RecurrentActivation } from './activations';
import type { ExportContext } from './context';
import { GraphWriter } from './graph-writer';
import type { RecurrentNodeOptions } from './recurrent-node';

/** An activation in a Scan body, by its ONNX recurrent form. */
function activationNode(w: GraphWriter, a: RecurrentActivation, x: string): string {
  switch (a.name) {
    case 'Affine':
      return w.op('Add', [w.op('Mul', [x, w.scalar('alpha', a.alpha ?? 1)]), w.scalar('beta', a.beta ?? 0)]);
    case 'HardSigmoid':
      return w.op('HardSigmoid', [x], { alpha: { float: a.alpha ?? 0.2 }, beta: { float: a.beta ?? 0.5 } });
    case 'Elu':
      return w.op('Elu', [x], { alpha: { float: a.alpha ?? 1 } });
    default:
      return w.op(a.name, [x]);
  }
}

/**
 * A recurrence whose cell kind has no ONNX operator, written as one `Scan` per direction over
 * time-major x [T, B, I]: the input projection for every step is one MatMul before it, and the
 * body is the cell's ONNX step. Returns what recurrentNode returns (Y [T, dirs, B, H], the final
 * states [dirs, B, H]).
 */
export function scanRecurrence(
  ctx: ExportContext,
  cell: CellSpec,
  x: string,
  dirs: TorchRecurrentWeights[],
  hidden: number,
  options: RecurrentNodeOptions,
): { y: string; h: string; c?: string } {
  const { g } = ctx;
  const onnx = cell.onnx;
  if (!('step' in onnx)) throw new Error(`scanRecurrence: '${cell.kind}' has an ONNX operator`);
  if (options.seqLens) {
    throw new UnsupportedError(
      `exportOnnx: a '${cell.kind}' cell has no ONNX operator; its Scan export takes no sequence lengths or masks`,
    );
  }
  const nStates = cell.states.length;
  const dtype = dirs[0].wIh.dtype === 'float64' ? 'float64' : 'float32';
  const ys: string[] = [];
  const finals: string[][] = Array.from({ length: nStates }, () => []);
  // [B, H] zeros for states not given: B from x's shape.
  const batch = g.op('Slice', [g.op('Shape', [x]), g.ints('s', [1]), g.ints('e', [2]), g.ints('a', [0])]);
  const zeros = () =>
    g.op('ConstantOfShape', [g.op('Concat', [batch, g.ints('h', [hidden])], { axis: 0 })], {
      value: {
        tensor: {
          dims: [1],
          dataType: dtype === 'float64' ? 11 : 1,
          rawData: new Uint8Array(dtype === 'float64' ? 8 : 4),
        },
      },
    });
  const given = [options.h0, options.c0];
  dirs.forEach((w, d) => {
    const reverse = dirs.length === 2 ? d === 1 : options.reverse;
    const wIhT = tidy(() => transpose(w.wIh));
    let xw = g.op('MatMul', [x, g.constant('W_ih_t', wIhT)]);
    wIhT.dispose();
    if (w.bIh) xw = g.op('Add', [xw, g.constant('b_ih', w.bIh)]);
    const wHhT = tidy(() => transpose(w.wHh));
    const outer = { wHhT: g.constant('W_hh_t', wHhT), bHh: w.bHh ? g.constant('b_hh', w.bHh) : undefined };
    wHhT.dispose();
    const initial = Array.from({ length: nStates }, (_, i) => {
      const s = given[i];
      if (!s) return zeros();
      // [dirs, B, H] → this direction's [B, H]
      return ctx.squeeze(g.op('Slice', [s, g.ints('s', [d]), g.ints('e', [d + 1]), g.ints('a', [0])]), [0]);
    });
    // The body's names start with a name of the outer graph's, so no two graphs share one.
    const body = new GraphWriter(`${g.name('scan')}_`);
    const stateIn = cell.states.map((n) => body.name(`${n}_prev`));
    const xIn = body.name('xw_t');
    const writer = {
      op: (type: string, inputs: string[], attrs: Record<string, number | string | number[]> = {}) =>
        body.op(type, inputs, attrs),
      activation: (i: number, v: string) => activationNode(body, options.activations[i], v),
      recurrent: (h: string) => {
        const p = body.op('MatMul', [h, outer.wHhT]);
        return outer.bHh ? body.op('Add', [p, outer.bHh]) : p;
      },
      split: (v: string, parts: number) => {
        const sizes = Array.from({ length: parts }, () => hidden);
        return ctx.opset >= 13
          ? body.add('Split', [v, body.ints('split', sizes)], parts, { axis: 1 })
          : body.add('Split', [v], parts, { axis: 1, split: sizes });
      },
      scalar: (v: number) => body.scalar('c', v, dtype),
    };
    const next = onnx.step(writer, xIn, stateIn);
    const out = body.op('Identity', [next[0]]);
    const graph = {
      name: `${cell.kind}_step`,
      node: body.nodes,
      initializer: body.initializers,
      input: [
        ...stateIn.map((n) => valueInfo(n, dtype, ['batch', hidden])),
        valueInfo(xIn, dtype, ['batch', hidden * cell.gates.torch.length]),
      ],
      output: [...next.map((n) => valueInfo(n, dtype, ['batch', hidden])), valueInfo(out, dtype, ['batch', hidden])],
    };
    const outs = g.add('Scan', [...initial, xw], nStates + 1, {
      body: { graph },
      num_scan_inputs: 1,
      scan_input_directions: [reverse ? 1 : 0],
      scan_output_directions: [reverse ? 1 : 0],
    });
    for (let i = 0; i < nStates; i++) finals[i].push(ctx.unsqueeze(outs[i], [0]));
    ys.push(ctx.unsqueeze(outs[nStates], [1]));
  });
  const join = (parts: string[], axis: number) => (parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis }));
  return { y: join(ys, 1), h: join(finals[0], 0), c: nStates > 1 ? join(finals[1], 0) : undefined };
}
