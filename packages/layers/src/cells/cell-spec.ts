import type { ActivationName, RecurrentKind } from '@recur/backend-api';
import type { Tensor } from '@recur/tensor';

/** One direction of a recurrent layer's weights in PyTorch's layout and gate order (see RecurrentInputs). */
export interface CellWeights {
  /** [G·H, I] */
  wIh: Tensor;
  /** [G·H, Hout] */
  wHh: Tensor;
  /** [G·H]; absent = zero. */
  bIh?: Tensor;
  /** [G·H]; absent = zero. */
  bHh?: Tensor;
  /** LSTM's output projection [P, H] (PyTorch proj_size). */
  wHr?: Tensor;
}

/** What one step is told besides its inputs. */
export interface StepOptions {
  /** The activations, in the cell's `activations` order (ONNX's f, g, h). */
  activations: ((x: Tensor) => Tensor)[];
  /** GRU: the reset gate multiplies the recurrent product (PyTorch, Keras resetAfter, ONNX linear_before_reset=1). */
  linearBeforeReset: boolean;
  /** What the recurrent products read instead of the first state (Keras' recurrent dropout masks h there). */
  recurrentInput?: Tensor;
}

/** What a cell's ONNX step writes with: nodes, and the pieces every recurrent step needs. */
export interface OnnxStepWriter {
  /** A node with one output; returns its name. */
  op(type: string, inputs: string[], attrs?: Record<string, number | string | number[]>): string;
  /** The cell's activation `i` (its `activations` order) applied to x. */
  activation(i: number, x: string): string;
  /** The recurrent product h·W_hhᵀ + b_hh, [B, G·H] in PyTorch's gate order. */
  recurrent(h: string): string;
  /** x split into `parts` equal blocks along the gate axis (PyTorch's gate order). */
  split(x: string, parts: number): string[];
  /** A float scalar constant of the model's dtype. */
  scalar(value: number): string;
}

/**
 * One step of a cell as ONNX nodes, for a kind without an ONNX operator: the exporter runs it
 * inside a `Scan` over time. `xw` is the step's input projection x_t·W_ihᵀ + b_ih, `states` the
 * previous states; returns the new states' names (the first is the output).
 */
export type OnnxStep = (w: OnnxStepWriter, xw: string, states: string[]) => string[];

/**
 * A recurrent cell kind as data: everything recur needs to run, train, save, load and export a
 * recurrent layer of this kind through either door. Adding a kind is one such file and one line
 * in `CELLS` (./index.ts); the PyTorch door (`TorchRecurrent`), the Keras door (`RNN` with a
 * cell of this kind), weight layouts, files and ONNX export all read it.
 */
export interface CellSpec {
  /** The kind's name, as RecurrentLM's `cell` option and messages spell it: 'lstm'. */
  readonly kind: string;
  /**
   * The gate blocks stacked along the weights' gate axis, in each framework's order: PyTorch's
   * (`weight_ih [G·H, I]`), Keras' (`kernel [I, G·u]`) and ONNX's (`W [G·H, I]`).
   */
  readonly gates: {
    /** PyTorch's order. */
    readonly torch: readonly string[];
    /** Keras' order. */
    readonly keras: readonly string[];
    /** ONNX's order. */
    readonly onnx: readonly string[];
  };
  /** The state tensors carried between steps, in Keras' order; the first is the output (h). */
  readonly states: readonly string[];
  /** The default activations, by name, in the order `step` takes them (ONNX's f, g, h). */
  readonly activations: readonly ActivationName[];
  /** The backend's fused kernel for this kind, where a backend has one (absent: the composed step). */
  readonly fused?: RecurrentKind;
  /** Class names: the PyTorch-door layer, the Keras-door layer and cell, and the base of generated names. */
  readonly names: {
    /** The PyTorch-door class ('LSTM'). */
    readonly torch: string;
    /** The Keras layer class ('LSTM'). */
    readonly keras: string;
    /** The Keras cell class ('LSTMCell'). */
    readonly kerasCell: string;
    /** The base of generated layer names ('lstm' → lstm, lstm_1, ...). */
    readonly base: string;
  };
  /** Keras' forget-gate bias of one at the start (`unitForgetBias`): the gate it applies to. */
  readonly forgetGate?: string;
  /** Whether Keras keeps two bias rows ([2, G·u]) with `resetAfter` (GRU). */
  readonly resetAfter?: boolean;
  /**
   * One time step in PyTorch's layout and gate order: from the input's projection
   * `xw = x_t·W_ihᵀ + b_ih` [B, G·H] and the previous states, the new states (the first is the
   * output). Written with tensor ops, so every backend runs it and autograd differentiates it.
   */
  step(xw: Tensor, states: Tensor[], w: CellWeights, options: StepOptions): Tensor[];
  /** ONNX: the standard operator this kind is ('RNN', 'GRU', 'LSTM'), or its step as nodes (run in a Scan). */
  readonly onnx:
    | {
        /** The standard ONNX operator. */
        readonly op: 'RNN' | 'GRU' | 'LSTM';
      }
    | {
        /** The step as ONNX nodes, run in a Scan. */
        readonly step: OnnxStep;
      };
}

/** The number of gate blocks G (weights are [G·H, ·]). */
export function gateCount(spec: CellSpec): number {
  return spec.gates.torch.length;
}
