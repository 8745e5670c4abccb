import {
  clone,
  dispose,
  formatShape,
  keep,
  RecurError,
  ShapeError,
  type Tensor,
  tidy,
  UnsupportedError,
  ValueError,
} from '@recur/tensor';
import { type AttrValue, readAttributes } from './attributes';
import { basicOps } from './ops/basic';
import type { OpImpl } from './ops/op';
import { recurrentOps } from './ops/recurrent';
import { decodeModelProto, type Int64Like, type onnx, toNumber } from './proto';
import { type ExternalDataReader, tensorFromProto } from './tensor-proto';

/** Every operator the interpreter runs, by ONNX op_type (default domain). */
export const OPERATORS: Record<string, OpImpl> = { ...basicOps, ...recurrentOps };

/** The opsets recur reads. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 22;

export interface ValueInfo {
  name: string;
  /** Element type name (float32, int64...) and shape with symbolic dims as strings. */
  dtype: string;
  shape: (number | string)[];
}

interface PreparedNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  impl: OpImpl;
}

const ELEM: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
};

function valueInfo(v: onnx.IValueInfoProto): ValueInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: ELEM[t?.elemType ?? 0] ?? `type ${t?.elemType}`,
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue as Int64Like))),
  };
}

export interface LoadOptions {
  /** Reads external data files (PyTorch's dynamo exporter writes `*.onnx.data` next to the model). */
  readExternal?: ExternalDataReader;
  /** Used in error messages. */
  name?: string;
}

/**
 * An ONNX model loaded for running on recur's backends. Everything that can be checked is checked
 * when it loads: operators and opsets, missing initializers or inputs, cycles, tensor sizes.
 */
export class OnnxModel {
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly opset: number;
  readonly producer: string;
  readonly metadata: Record<string, string>;
  readonly initializers: Map<string, Tensor>;
  /** ONNX data type of each initializer as stored (int64 ones are held as int32 here). */
  readonly initializerTypes: Map<string, number>;
  /** The decoded protobuf, kept so a lifted model can be written back with new weights. */
  readonly proto: onnx.ModelProto;
  private readonly nodes: PreparedNode[];

  private constructor(model: onnx.ModelProto, options: LoadOptions) {
    const what = options.name ?? 'ONNX model';
    const graph = model.graph as onnx.GraphProto;
    const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = imp ? toNumber(imp.version as Int64Like) : 1;
    if (this.opset < MIN_OPSET || this.opset > MAX_OPSET) {
      throw new ValueError(`${what}: opset ${this.opset} is outside the supported ${MIN_OPSET}–${MAX_OPSET}`);
    }
    this.producer = `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim();
    this.metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    const unsupported = (graph.node ?? []).filter(
      (n) => (n.domain && n.domain !== 'ai.onnx') || !OPERATORS[n.opType ?? ''],
    );
    if (unsupported.length) {
      const n = unsupported[0];
      throw new UnsupportedError(
        `${what}: operator ${n.domain ? `${n.domain}.` : ''}${n.opType} (node '${n.name || n.output?.[0]}', opset ${this.opset}) is not supported` +
          (unsupported.length > 1
            ? ` (and ${unsupported.length - 1} more node(s): ${[...new Set(unsupported.map((u) => u.opType))].join(', ')})`
            : ''),
      );
    }
    this.proto = model;
    this.initializerTypes = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t.dataType ?? 0]));
    const initializers = new Map<string, Tensor>();
    try {
      for (const t of graph.initializer ?? [])
        initializers.set(t.name ?? '', keep(tensorFromProto(t, options.readExternal)));
    } catch (e) {
      dispose([...initializers.values()]);
      throw new RecurError(`${what}: ${(e as Error).message}`);
    }
    this.initializers = initializers;
    this.inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
    this.outputs = (graph.output ?? []).map(valueInfo);
    try {
      this.nodes = this.order(graph, what, options);
    } catch (e) {
      dispose([...initializers.values()]);
      throw e;
    }
  }

  /** Parses and checks a model. `bytes` is the .onnx file; external data is read through `options.readExternal`. */
  static load(bytes: Uint8Array, options: LoadOptions = {}): OnnxModel {
    return new OnnxModel(decodeModelProto(bytes, options.name), options);
  }

  /** Topological order of the nodes; a cycle or a dangling input is an error now, not at run time. */
  private order(graph: onnx.GraphProto, what: string, options: LoadOptions): PreparedNode[] {
    const available = new Set<string>([...this.initializers.keys(), ...this.inputs.map((i) => i.name), '']);
    const pending = (graph.node ?? []).map((n, i) => ({
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType ?? '',
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs: readAttributes(n, options.readExternal),
      impl: OPERATORS[n.opType ?? ''],
    }));
    const produced = new Set(pending.flatMap((n) => n.outputs));
    for (const n of pending) {
      for (const i of n.inputs) {
        if (!available.has(i) && !produced.has(i)) {
          throw new RecurError(
            `${what}: node '${n.name}' (${n.opType}) reads '${i}', which is no input, initializer or node output (missing initializer?)`,
          );
        }
      }
    }
    const ordered: PreparedNode[] = [];
    let progress = true;
    while (pending.length && progress) {
      progress = false;
      for (let k = 0; k < pending.length; k++) {
        const n = pending[k];
        if (n.inputs.every((i) => available.has(i))) {
          ordered.push(n);
          for (const o of n.outputs) available.add(o);
          pending.splice(k--, 1);
          progress = true;
        }
      }
    }
    if (pending.length) {
      throw new RecurError(
        `${what}: the graph has a cycle through node(s) ${pending.map((n) => `'${n.name}'`).join(', ')}`,
      );
    }
    for (const o of this.outputsInfoNames(graph)) {
      if (!available.has(o)) throw new RecurError(`${what}: graph output '${o}' is produced by no node`);
    }
    return ordered;
  }

  private outputsInfoNames(graph: onnx.GraphProto): string[] {
    return (graph.output ?? []).map((o) => o.name ?? '');
  }

  /** The nodes in execution order: op type, input and output names, attributes. */
  get graphNodes(): readonly {
    name: string;
    opType: string;
    inputs: string[];
    outputs: string[];
    attrs: Record<string, AttrValue>;
  }[] {
    return this.nodes;
  }

  /** Operators used, with counts. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    return counts;
  }

  numParameters(): number {
    return [...this.initializers.values()].reduce((n, t) => n + t.size, 0);
  }

  /**
   * Runs the graph on the current backend; feeds are checked against the declared inputs.
   * `initializers` replaces stored weights by name (a lifted model feeds its trainable parameters).
   */
  run(feeds: Record<string, Tensor>, initializers?: Map<string, Tensor>): Record<string, Tensor> {
    for (const i of this.inputs) {
      const t = feeds[i.name];
      if (!t) throw new ShapeError(`run: missing input '${i.name}' (${i.dtype} [${i.shape.join(', ')}])`);
      if (t.rank !== i.shape.length || i.shape.some((d, k) => typeof d === 'number' && d > 0 && d !== t.shape[k])) {
        throw new ShapeError(`run: input '${i.name}' should be [${i.shape.join(', ')}], got ${formatShape(t.shape)}`);
      }
    }
    return tidy(() => {
      const env = new Map<string, Tensor>([...this.initializers, ...(initializers ?? []), ...Object.entries(feeds)]);
      for (const n of this.nodes) {
        let outs: (Tensor | undefined)[];
        try {
          outs = n.impl({
            inputs: n.inputs.map((i) => (i === '' ? undefined : env.get(i))),
            attrs: n.attrs,
            opset: this.opset,
            node: `${n.opType} '${n.name}'`,
            outputs: n.outputs.length,
          });
        } catch (e) {
          throw new RecurError(`node '${n.name}' (${n.opType}): ${(e as Error).message}`);
        }
        n.outputs.forEach((o, k) => {
          const t = outs[k];
          if (o && t) env.set(o, t);
        });
      }
      const result: Record<string, Tensor> = {};
      for (const o of this.outputs) {
        const t = env.get(o.name);
        if (!t) throw new RecurError(`run: output '${o.name}' was not computed`);
        // An output that is an initializer or a feed is copied: the caller owns what run() returns.
        result[o.name] = this.initializers.get(o.name) === t || feeds[o.name] === t ? clone(t) : t;
      }
      return result;
    });
  }

  dispose(): void {
    dispose([...this.initializers.values()]);
    // Tensor-valued attributes (Constant's value, ConstantOfShape's fill) belong to the model too.
    dispose(
      this.nodes.map((n) =>
        Object.values(n.attrs).filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v)),
      ),
    );
  }
}
