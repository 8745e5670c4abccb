import { type CellSpec, cellSpec, type TorchRecurrentWeights, torchToOnnx } from '@recur/layers';
import { stack, type Tensor, tidy } from '@recur/tensor';
import { activationAttrs, type RecurrentActivation } from './activations';
import type { ExportContext } from './context';
import { scanRecurrence } from './scan-recurrence';

/** How `recurrentNode` writes a layer. */
export interface RecurrentNodeOptions {
  /** Run backwards (ONNX direction 'reverse'). */
  reverse: boolean;
  /** One direction's activations (repeated for the backward direction). */
  activations: RecurrentActivation[];
  /** GRU: the reset gate multiplies the recurrent product (linear_before_reset=1). */
  linearBeforeReset: boolean;
  /** int32 [batch] sequence lengths, or '' for none. */
  seqLens: string;
  /** [dirs, batch, H] initial states. */
  h0?: string;
  /** LSTM: [dirs, batch, H] initial cell states. */
  c0?: string;
}

/**
 * One recurrent layer over time-major x [T, B, I]: an ONNX RNN / GRU / LSTM node for a cell kind
 * that is one (a Scan of its step otherwise); returns Y [T, dirs, B, H] and Y_h (and Y_c).
 * Weights arrive in PyTorch layout and are converted by the one weight-layout module (ONNX gate
 * order, B = [Wb; Rb]).
 */
export function recurrentNode(
  ctx: ExportContext,
  kind: string | CellSpec,
  x: string,
  dirs: TorchRecurrentWeights[],
  hidden: number,
  options: RecurrentNodeOptions,
): { y: string; h: string; c?: string } {
  const cell = cellSpec(kind);
  if (!('op' in cell.onnx)) return scanRecurrence(ctx, cell, x, dirs, hidden, options);
  const { g } = ctx;
  const op = cell.onnx.op;
  const onnxWeights = tidy(() => dirs.map((d) => torchToOnnx(cell, d)));
  const [W, R, B] = tidy(() => [
    stack(
      onnxWeights.map((w) => w.W),
      0,
    ),
    stack(
      onnxWeights.map((w) => w.R),
      0,
    ),
    stack(
      onnxWeights.map((w) => w.B as Tensor),
      0,
    ),
  ]);
  const inputs = [
    x,
    g.constant('W', W),
    g.constant('R', R),
    g.constant('B', B),
    options.seqLens,
    options.h0 ?? '',
    ...(op === 'LSTM' ? [options.c0 ?? ''] : []),
  ];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  for (const t of [W, R, B, ...onnxWeights.flatMap((w) => [w.W, w.R, w.B as Tensor])]) t.dispose();
  const direction = dirs.length === 2 ? 'bidirectional' : options.reverse ? 'reverse' : 'forward';
  const acts = dirs.length === 2 ? [...options.activations, ...options.activations] : options.activations;
  const attrs: Record<string, number | string | string[] | number[]> = {
    hidden_size: hidden,
    direction,
    ...activationAttrs(acts),
  };
  if (op === 'GRU') attrs.linear_before_reset = options.linearBeforeReset ? 1 : 0;
  const outs = g.add(op, inputs, op === 'LSTM' ? 3 : 2, attrs);
  return { y: outs[0], h: outs[1], c: outs[2] };
}
