import { type Tensor, tensor, tidy } from '@recur/tensor';
import { type AttributeInput, node, tensorProto } from '../builder';
import type { onnx } from '../proto';

/** Collects nodes and initializers while a graph is written; names are unique by construction. */
export class GraphWriter {
  /** The nodes written, in order. */
  nodes: onnx.INodeProto[] = [];
  /** The initializers written. */
  initializers: onnx.ITensorProto[] = [];
  private n = 0;

  /** `prefix` keeps a subgraph's names apart from its outer graph's (a Scan's body). */
  constructor(private readonly prefix = '') {}

  /** A fresh name from `base` (base, base_1, ...). */
  name(base: string): string {
    return `${this.prefix}${base.replace(/[^A-Za-z0-9_]/g, '_')}_${this.n++}`;
  }

  /** An initializer from a tensor (int32 tensors may be written as int64 index data). */
  constant(base: string, t: Tensor, as?: 'int64'): string {
    const name = this.name(base);
    this.initializers.push(tensorProto(name, t, as));
    return name;
  }

  /** An int64 vector initializer (shapes, axes, indices). */
  ints(base: string, values: number[]): string {
    const name = this.name(base);
    const bytes = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    this.initializers.push({ name, dims: [values.length], dataType: 7, rawData: bytes });
    return name;
  }

  /** A float32 scalar initializer. */
  scalar(base: string, value: number, dtype: 'float32' | 'float64' = 'float32'): string {
    const t = tidy(() => tensor([value], { shape: [], dtype }));
    const name = this.constant(base, t);
    t.dispose();
    return name;
  }

  /** An int64 scalar initializer. */
  int(base: string, value: number): string {
    const name = this.name(base);
    this.initializers.push({
      name,
      dims: [],
      dataType: 7,
      rawData: new Uint8Array(BigInt64Array.from([BigInt(value)]).buffer),
    });
    return name;
  }

  /** Adds a node; returns its output names. */
  add(op: string, inputs: string[], outputs = 1, attrs: Record<string, AttributeInput> = {}): string[] {
    const outs = Array.from({ length: outputs }, () => this.name(op.toLowerCase()));
    this.nodes.push(node(op, inputs, outs, attrs));
    return outs;
  }

  /** Adds a one-output node and returns its output. */
  op(op: string, inputs: string[], attrs: Record<string, AttributeInput> = {}): string {
    return this.add(op, inputs, 1, attrs)[0];
  }
}
