import {
  add,
  concat,
  formatShape,
  reshape,
  ShapeError,
  split,
  stack,
  type Tensor,
  tidy,
  transpose,
  zeros,
} from '@recur/tensor';
import { type CellSpec, cellSpec, gateCount } from '../cells/index';
import { reorderGates } from './gate-order';

/** A cell kind by name ('lstm') or its spec. */
export type CellKind = string | CellSpec;

/**
 * The three layouts of one direction of a recurrent layer, and the only place that converts
 * between them. Every path uses these: Keras cells handing their weights to the fused kernel, the
 * Keras / tfjs file readers, the ONNX operators, the ONNX lift and the ONNX exporter. Conversions
 * are recorded ops, so gradients flow through them.
 *
 * - Keras: `kernel [I, G·u]`, `recurrent_kernel [u, G·u]`, `bias [G·u]` (GRU with reset_after:
 *   `[2, G·u]`, row 0 input, row 1 recurrent); gates LSTM i,f,c,o, GRU z,r,h.
 * - PyTorch: `weight_ih [G·H, I]`, `weight_hh [G·H, H]`, `bias_ih`, `bias_hh [G·H]`; gates LSTM
 *   i,f,g,o, GRU r,z,n.
 * - ONNX: `W [G·H, I]`, `R [G·H, H]`, `B [2·G·H] = [Wb; Rb]` per direction; gates LSTM i,o,f,c,
 *   GRU z,r,h.
 */

/** One direction's weights in Keras' layout. */
export interface KerasRecurrentWeights {
  /** [I, G·u], Keras' gate order. */
  kernel: Tensor;
  /** [u, G·u], Keras' gate order. */
  recurrentKernel: Tensor;
  /** [G·u], or [2, G·u] for a GRU with reset_after (input row, recurrent row). */
  bias?: Tensor;
}

/** One direction's weights in PyTorch's layout. */
export interface TorchRecurrentWeights {
  /** weight_ih [G·H, I], PyTorch's gate order. */
  wIh: Tensor;
  /** weight_hh [G·H, H], PyTorch's gate order. */
  wHh: Tensor;
  /** bias_ih [G·H]. */
  bIh?: Tensor;
  /** bias_hh [G·H]. */
  bHh?: Tensor;
}

/** One direction's weights in ONNX's layout (one direction of W, R, B). */
export interface OnnxRecurrentWeights {
  /** [G·H, I], ONNX's gate order. */
  W: Tensor;
  /** [G·H, H], ONNX's gate order. */
  R: Tensor;
  /** `[2·G·H]`: Wb then Rb. */
  B?: Tensor;
}

/** Keras → PyTorch. A one-row Keras bias becomes bIh (both biases sit outside the gates' products). */
export function kerasToTorch(kind: CellKind, w: KerasRecurrentWeights): TorchRecurrentWeights {
  const toTorch = (t: Tensor) => transpose(reorderGates(t, kind, 1, 'keras', 'torch'));
  const out: TorchRecurrentWeights = { wIh: toTorch(w.kernel), wHh: toTorch(w.recurrentKernel) };
  const b = w.bias;
  if (b && b.rank === 2) {
    const [bi, bh] = split(b, 2, 0);
    out.bIh = reorderGates(reshape(bi, [b.shape[1]]), kind, 0, 'keras', 'torch');
    out.bHh = reorderGates(reshape(bh, [b.shape[1]]), kind, 0, 'keras', 'torch');
  } else if (b) {
    out.bIh = reorderGates(b, kind, 0, 'keras', 'torch');
  }
  return out;
}

/**
 * PyTorch → Keras. `splitBias` keeps two bias rows ([2, G·u], Keras' GRU with reset_after);
 * otherwise the two biases are summed into one [G·u] (exact for SimpleRNN, LSTM and the classic GRU).
 */
export function torchToKeras(
  kind: CellKind,
  w: TorchRecurrentWeights,
  options: { splitBias: boolean },
): KerasRecurrentWeights {
  const toKeras = (t: Tensor) => reorderGates(transpose(t), kind, 1, 'torch', 'keras');
  const out: KerasRecurrentWeights = { kernel: toKeras(w.wIh), recurrentKernel: toKeras(w.wHh) };
  if (w.bIh || w.bHh) {
    const n = w.wIh.shape[0];
    const bi = w.bIh ? reorderGates(w.bIh, kind, 0, 'torch', 'keras') : zeros([n], w.wIh.dtype);
    const bh = w.bHh ? reorderGates(w.bHh, kind, 0, 'torch', 'keras') : zeros([n], w.wIh.dtype);
    out.bias = options.splitBias ? stack([bi, bh], 0) : add(bi, bh);
  }
  return out;
}

/** PyTorch → ONNX (one direction). Missing biases are zeros in B. */
export function torchToOnnx(kind: CellKind, w: TorchRecurrentWeights): OnnxRecurrentWeights {
  const toOnnx = (t: Tensor) => reorderGates(t, kind, 0, 'torch', 'onnx');
  const n = w.wIh.shape[0];
  const bi = w.bIh ? toOnnx(w.bIh) : zeros([n], w.wIh.dtype);
  const bh = w.bHh ? toOnnx(w.bHh) : zeros([n], w.wIh.dtype);
  return { W: toOnnx(w.wIh), R: toOnnx(w.wHh), B: concat([bi, bh], 0) };
}

/** ONNX → PyTorch (one direction). */
export function onnxToTorch(kind: CellKind, w: OnnxRecurrentWeights): TorchRecurrentWeights {
  const toTorch = (t: Tensor) => reorderGates(t, kind, 0, 'onnx', 'torch');
  const out: TorchRecurrentWeights = { wIh: toTorch(w.W), wHh: toTorch(w.R) };
  if (w.B) {
    const n = w.W.shape[0];
    if (w.B.rank !== 1 || w.B.shape[0] !== 2 * n) {
      throw new ShapeError(`recurrent weights: ONNX B should be [${2 * n}], got ${formatShape(w.B.shape)}`);
    }
    const [wb, rb] = split(w.B, 2, 0);
    out.bIh = toTorch(wb);
    out.bHh = toTorch(rb);
  }
  return out;
}

/** Keras → ONNX, through PyTorch's layout (one direction). */
export function kerasToOnnx(kind: CellKind, w: KerasRecurrentWeights): OnnxRecurrentWeights {
  return tidy(() => torchToOnnx(kind, kerasToTorch(kind, w)));
}

/** The gate count times units a weight's stacked axis must have. */
export function stackedSize(kind: CellKind, units: number): number {
  return gateCount(cellSpec(kind)) * units;
}
