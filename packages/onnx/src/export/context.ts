import type { CellSpec, TorchRecurrentWeights } from '@recur/layers';
import type { DType } from '@recur/tensor';
import { valueInfo } from '../builder';
import type { onnx } from '../proto';
import { type RecurrentActivation, recurrentActivation, writeActivation } from './activations';
import type { GraphWriter } from './graph-writer';
import { type RecurrentNodeOptions, recurrentNode } from './recurrent-node';

/** A value of the graph being written: its name, rank and dtype, and the Keras mask riding on it (bool [B, T]). */
export interface Value {
  /** The value's name in the graph. */
  name: string;
  /** Its rank. */
  rank: number;
  /** Its element type. */
  dtype: DType;
  /** The name of its Keras mask (bool [B, T]), when one rides on it. */
  mask?: string;
}

/**
 * What exporters share: the writer, the opset, the model-wide sequence_lens input, and the
 * export toolkit — opset-aware helpers, activations, recurrent nodes and typed graph inputs and
 * outputs. A layer that writes its own ONNX nodes (`OnnxLayer`) gets everything through it.
 */
export class ExportContext {
  constructor(
    /** The writer the nodes go to. */
    readonly g: GraphWriter,
    /** The default domain's opset being written. */
    readonly opset: number,
    /** int32 [batch] model input, or '' (PyTorch-style exports with sequenceLens). */
    readonly seqLens: string,
  ) {}

  /** A reduction over axes; ReduceSum takes axes as an input from opset 13, the others from 18. */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: number[], keepdims: boolean): string {
    const asInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (asInput) return this.g.op(op, [x, this.g.ints('axes', axes)], { keepdims: keepdims ? 1 : 0 });
    return this.g.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** Squeeze with axes as an input from opset 13, an attribute before. */
  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13
      ? this.g.op('Squeeze', [x, this.g.ints('axes', axes)])
      : this.g.op('Squeeze', [x], { axes });
  }

  /** Unsqueeze with axes as an input from opset 13, an attribute before. */
  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13
      ? this.g.op('Unsqueeze', [x, this.g.ints('axes', axes)])
      : this.g.op('Unsqueeze', [x], { axes });
  }

  /** [B, T, F] ↔ [T, B, F] */
  swap01(x: string): string {
    return this.g.op('Transpose', [x], { perm: [1, 0, 2] });
  }

  /** Dimension `axis` of x as an int64 vector [1]. */
  dim(x: string, axis: number): string {
    const shape = this.g.op('Shape', [x]);
    return this.g.op('Slice', [
      shape,
      this.g.ints('start', [axis]),
      this.g.ints('end', [axis + 1]),
      this.g.ints('axes', [0]),
    ]);
  }

  /** Cast to one of the element types exporters need. */
  cast(x: string, to: 'int64' | 'int32' | 'float32' | 'bool'): string {
    const code = { float32: 1, int32: 6, int64: 7, bool: 9 }[to];
    return this.g.op('Cast', [x], { to: code });
  }

  /** An elementwise activation by recur's name (Dense's, Activation's) on x; an error names `owner` if it has no ONNX form. */
  activation(owner: string, name: string, x: string): string {
    return writeActivation(this.g, owner, name, x);
  }

  /** An activation by recur's name in the form the ONNX RNN / GRU / LSTM operators take. */
  recurrentActivation(owner: string, name: string): RecurrentActivation {
    return recurrentActivation(owner, name);
  }

  /**
   * One recurrent layer over time-major x [T, B, I], from PyTorch-layout weights per direction: an
   * ONNX RNN / GRU / LSTM node, or a Scan of the cell's step for a kind that is none.
   */
  recurrentNode(
    kind: string | CellSpec,
    x: string,
    dirs: TorchRecurrentWeights[],
    hidden: number,
    options: RecurrentNodeOptions,
  ): {
    /** All steps' outputs, ONNX's Y [T, dirs, B, H]. */
    y: string;
    /** The last hidden state, Y_h [dirs, B, H]. */
    h: string;
    /** LSTM's last cell state, Y_c. */
    c?: string;
  } {
    return recurrentNode(this, kind, x, dirs, hidden, options);
  }

  /** A typed graph input or output (dims may be names: dynamic axes). */
  valueInfo(name: string, dtype: DType | 'int64', dims: (number | string)[]): onnx.IValueInfoProto {
    return valueInfo(name, dtype, dims);
  }
}
