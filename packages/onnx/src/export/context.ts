import type { DType } from '@recur/tensor';
import type { GraphWriter } from './graph-writer';

/** A value of the graph being written: its name, rank and dtype, and the Keras mask riding on it (bool [B, T]). */
export interface Value {
  name: string;
  rank: number;
  dtype: DType;
  mask?: string;
}

/** What exporters share: the writer, the opset, the model-wide sequence_lens input, and opset-aware helpers. */
export class ExportContext {
  constructor(
    readonly g: GraphWriter,
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

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13
      ? this.g.op('Squeeze', [x, this.g.ints('axes', axes)])
      : this.g.op('Squeeze', [x], { axes });
  }

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

  cast(x: string, to: 'int64' | 'int32' | 'float32' | 'bool'): string {
    const code = { float32: 1, int32: 6, int64: 7, bool: 9 }[to];
    return this.g.op('Cast', [x], { to: code });
  }
}
