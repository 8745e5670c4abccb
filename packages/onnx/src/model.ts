import {
  ConfigError,
  checkBytes,
  clone,
  DTypeError,
  dispose,
  FormatError,
  formatShape,
  keep,
  RecurError,
  ShapeError,
  type Tensor,
  tidy,
  UnsupportedError,
} from '@recur/tensor';
import { type AttrValue, readAttributes } from './attributes';
import { elementwiseOps } from './ops/elementwise';
import { indexingOps } from './ops/indexing';
import { matMulOps } from './ops/mat-mul';
import { normalizationOps } from './ops/normalization';
import type { OpImpl } from './ops/op';
import { recurrentOps } from './ops/recurrent';
import { reductionOps } from './ops/reductions';
import { checkInputTypes, checkNode } from './ops/schema';
import { shapeOps } from './ops/shape';
import { decodeModelProto, type Int64Like, type onnx, toNumber } from './proto';
import { type ExternalDataReader, tensorFromProto } from './tensor-proto';

/** Every operator the interpreter runs, by ONNX op_type (default domain). */
export const OPERATORS: Record<string, OpImpl> = {
  ...shapeOps,
  ...elementwiseOps,
  ...reductionOps,
  ...indexingOps,
  ...normalizationOps,
  ...matMulOps,
  ...recurrentOps,
};

/** Subgraph operators: the interpreter runs one straight-line graph. */
const CONTROL_FLOW = new Set(['Loop', 'Scan', 'If']);

/** The opsets recur reads. */
export const MIN_OPSET = 7;
/** The newest opset recur reads. */
export const MAX_OPSET = 22;

/** A graph input or output as the model declares it. */
export interface ValueInfo {
  /** Its name (the key of `run`'s feeds and results). */
  name: string;
  /** Element type name (float32, int64...) and shape with symbolic dims as strings. */
  dtype: string;
  /** Its dimensions; symbolic ones ('batch') as strings. */
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

/** The recur dtypes a feed may have for each declared ONNX input type (int64 is held as int32). */
const FEED_DTYPES: Record<string, string[]> = {
  float32: ['float32'],
  float64: ['float64'],
  int32: ['int32'],
  int64: ['int32'],
  uint8: ['int32'],
  int8: ['int32'],
  bool: ['bool'],
};

function valueInfo(v: onnx.IValueInfoProto): ValueInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: ELEM[t?.elemType ?? 0] ?? `type ${t?.elemType}`,
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue as Int64Like))),
  };
}

/**
 * Prefixes a recur error's message with where it happened, keeping its class and code. Anything
 * else escaping an operator is a recur bug: it becomes a RecurError with code 'internal'.
 */
function withContext(e: unknown, where: string): Error {
  if (e instanceof RecurError) {
    if (!e.message.startsWith(where)) e.message = `${where}: ${e.message}`;
    return e;
  }
  const inner = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new RecurError(`${where}: internal error (${inner}); please report it with the model`, 'internal');
}

/** How `OnnxModel.load` reads a model. */
export interface LoadOptions {
  /** Reads external data files (PyTorch's dynamo exporter writes `*.onnx.data` next to the model). */
  readExternal?: ExternalDataReader;
  /** Used in error messages. */
  name?: string;
}

/**
 * An ONNX model loaded for running on recur's backends. Everything that can be checked is checked
 * when it loads: operators and opsets, missing initializers or inputs, cycles, tensor sizes.
 * Errors are recur's classes (FormatError, UnsupportedError, LimitError, ...).
 *
 * @example
 * ```ts
 * import { exportOnnx, OnnxModel } from '@recur/onnx';
 * import { GRU } from '@recur/layers';
 * import { randomNormal } from '@recur/tensor';
 * // In Node: loadOnnxFile('model.onnx') from '@recur/onnx/node' (external data next to it).
 * const model = OnnxModel.load(exportOnnx(new GRU(4, 8, { batchFirst: true })));
 * console.log(model.inputs.map((i) => i.name), model.opCounts()); // ['input'] { Transpose: 3, GRU: 1, …
 * const { output } = model.run({ input: randomNormal([2, 5, 4]) });
 * console.log(output.shape); // [2, 5, 8]
 * ```
 */
export class OnnxModel {
  /** The graph's inputs that are not initializers (what `run` needs fed). */
  readonly inputs: ValueInfo[] = [];
  /** The graph's outputs. */
  readonly outputs: ValueInfo[] = [];
  /** The default domain's opset. */
  readonly opset: number;
  /** producer_name and producer_version, e.g. 'pytorch 1.13.1'. */
  readonly producer: string;
  /** metadata_props by key. */
  readonly metadata: Record<string, string>;
  /** Weights and constants by name, as recur tensors. */
  readonly initializers = new Map<string, Tensor>();
  /** ONNX data type of each initializer as stored (int64 ones are held as int32 here). */
  readonly initializerTypes: Map<string, number>;
  /** The decoded protobuf, kept so a lifted model can be written back with new weights. */
  readonly proto: onnx.ModelProto;
  private nodes: PreparedNode[] = [];

  private constructor(model: onnx.ModelProto, options: LoadOptions) {
    const what = options.name ?? 'ONNX model';
    const graph = model.graph as onnx.GraphProto;
    const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = imp ? toNumber(imp.version as Int64Like) : 1;
    if (this.opset < MIN_OPSET || this.opset > MAX_OPSET) {
      throw new UnsupportedError(`${what}: opset ${this.opset} is outside the supported ${MIN_OPSET}–${MAX_OPSET}`);
    }
    this.producer = `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim();
    this.metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    const unsupported = (graph.node ?? []).filter(
      (n) => (n.domain && n.domain !== 'ai.onnx') || !Object.hasOwn(OPERATORS, n.opType ?? ''),
    );
    if (unsupported.length) {
      const n = unsupported[0];
      throw new UnsupportedError(
        `${what}: operator ${n.domain ? `${n.domain}.` : ''}${n.opType} (node '${n.name || n.output?.[0]}', opset ${this.opset}) is not supported` +
          (CONTROL_FLOW.has(n.opType ?? '')
            ? ': recur runs graphs without control flow (Loop, Scan, If); export with fixed loops unrolled'
            : '') +
          (unsupported.length > 1
            ? ` (and ${unsupported.length - 1} more node(s): ${[...new Set(unsupported.map((u) => u.opType))].slice(0, 10).join(', ')})`
            : ''),
      );
    }
    this.proto = model;
    this.initializerTypes = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t.dataType ?? 0]));
    try {
      let bytes = 0;
      for (const t of graph.initializer ?? []) {
        const name = t.name ?? '';
        if (this.initializers.has(name)) throw new FormatError(`initializer '${name}' appears twice`, { file: what });
        const w = keep(tensorFromProto(t, options.readExternal));
        this.initializers.set(name, w);
        bytes += w.size * 4;
        checkBytes(`${what}: initializers`, bytes);
      }
      this.inputs.push(...(graph.input ?? []).filter((v) => !this.initializers.has(v.name ?? '')).map(valueInfo));
      this.outputs.push(...(graph.output ?? []).map(valueInfo));
      this.order(graph, what, options);
    } catch (e) {
      // Nothing of a model that failed to load stays allocated (weights, Constant attributes).
      this.dispose();
      throw withContext(e, what);
    }
  }

  /** Parses and checks a model. `bytes` is the .onnx file; external data is read through `options.readExternal`. */
  static load(bytes: Uint8Array, options: LoadOptions = {}): OnnxModel {
    return new OnnxModel(decodeModelProto(bytes, options.name), options);
  }

  /** Reads the nodes and puts them in topological order; a cycle or a dangling input is an error now, not at run time. */
  private order(graph: onnx.GraphProto, what: string, options: LoadOptions): void {
    const available = new Set<string>([...this.initializers.keys(), ...this.inputs.map((i) => i.name), '']);
    // Kept on the model as they are read, so a failure further on still disposes their attributes.
    const pending: PreparedNode[] = [];
    this.nodes = pending;
    for (const [i, n] of (graph.node ?? []).entries()) {
      const node: PreparedNode = {
        name: n.name || `${n.opType}_${i}`,
        opType: n.opType ?? '',
        inputs: n.input ?? [],
        outputs: n.output ?? [],
        attrs: {},
        impl: OPERATORS[n.opType ?? ''],
      };
      pending.push(node);
      readAttributes(n, options.readExternal, node.attrs);
      checkNode(node, this.opset, what);
    }
    const declared = new Map<string, number>(this.initializerTypes);
    for (const v of graph.input ?? []) {
      const t = v.type?.tensorType?.elemType;
      if (v.name && t && !declared.has(v.name)) declared.set(v.name, t);
    }
    for (const n of pending) checkInputTypes(n, this.opset, (name) => declared.get(name), what);
    const produced = new Set<string>();
    for (const n of pending) {
      for (const o of n.outputs) {
        if (!o) continue;
        if (produced.has(o) || available.has(o)) {
          throw new FormatError(
            `node '${n.name}' (${n.opType}) writes '${o}', which ${produced.has(o) ? 'another node' : 'an input or initializer'} already defines`,
            { file: what },
          );
        }
        produced.add(o);
      }
    }
    for (const n of pending) {
      for (const i of n.inputs) {
        if (!available.has(i) && !produced.has(i)) {
          throw new FormatError(
            `node '${n.name}' (${n.opType}) reads '${i}', which is no input, initializer or node output (missing initializer?)`,
            { file: what },
          );
        }
      }
    }
    const ordered: PreparedNode[] = [];
    const waiting = [...pending];
    let progress = true;
    while (waiting.length && progress) {
      progress = false;
      for (let k = 0; k < waiting.length; k++) {
        const n = waiting[k];
        if (n.inputs.every((i) => available.has(i))) {
          ordered.push(n);
          for (const o of n.outputs) available.add(o);
          waiting.splice(k--, 1);
          progress = true;
        }
      }
    }
    if (waiting.length) {
      const names = waiting.slice(0, 5).map((n) => `'${n.name}'`);
      throw new FormatError(
        `the graph has a cycle through node(s) ${names.join(', ')}${waiting.length > 5 ? ` and ${waiting.length - 5} more` : ''}`,
        { file: what },
      );
    }
    for (const o of graph.output ?? []) {
      if (!available.has(o.name ?? ''))
        throw new FormatError(`graph output '${o.name}' is produced by no node`, { file: what });
    }
    this.nodes = ordered;
  }

  /** The nodes in execution order: op type, input and output names, attributes. */
  get graphNodes(): readonly {
    /** The node's name (or opType_index when it has none). */
    name: string;
    /** Its operator. */
    opType: string;
    /** Its input names ('' for an omitted optional input). */
    inputs: string[];
    /** Its output names. */
    outputs: string[];
    /** Its attributes, read. */
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

  /** Elements in all initializers. */
  numParameters(): number {
    return [...this.initializers.values()].reduce((n, t) => n + t.size, 0);
  }

  /**
   * Runs the graph on the current backend; feeds are checked against the declared inputs (shape
   * and dtype). `initializers` replaces stored weights by name (a lifted model feeds its trainable
   * parameters).
   */
  run(feeds: Record<string, Tensor>, initializers?: Map<string, Tensor>): Record<string, Tensor> {
    for (const i of this.inputs) {
      const t = feeds[i.name];
      if (!t) throw new ConfigError(`run: missing input '${i.name}' (${i.dtype} [${i.shape.join(', ')}])`);
      if (t.rank !== i.shape.length || i.shape.some((d, k) => typeof d === 'number' && d > 0 && d !== t.shape[k])) {
        throw new ShapeError(`run: input '${i.name}' should be [${i.shape.join(', ')}], got ${formatShape(t.shape)}`);
      }
      const allowed = FEED_DTYPES[i.dtype];
      if (!allowed?.includes(t.dtype)) {
        throw new DTypeError(
          `run: input '${i.name}' is ${i.dtype}, got a ${t.dtype} tensor${allowed ? ` (feed ${allowed.join(' or ')})` : ''}`,
        );
      }
    }
    return tidy(() => {
      const env = new Map<string, Tensor>([...this.initializers, ...(initializers ?? []), ...Object.entries(feeds)]);
      for (const n of this.nodes) {
        const where = `node '${n.name}' (${n.opType})`;
        let outs: (Tensor | undefined)[];
        try {
          outs = n.impl({
            inputs: n.inputs.map((i) => (i === '' ? undefined : env.get(i))),
            attrs: n.attrs,
            opset: this.opset,
            node: where,
            outputs: n.outputs.length,
          });
        } catch (e) {
          throw withContext(e, where);
        }
        n.outputs.forEach((o, k) => {
          const t = outs[k];
          if (o && t) env.set(o, t);
        });
      }
      const result: Record<string, Tensor> = {};
      for (const o of this.outputs) {
        const t = env.get(o.name);
        if (!t)
          throw new FormatError(`run: output '${o.name}' was not computed (an optional output its node does not make)`);
        // An output that is an initializer or a feed is copied: the caller owns what run() returns.
        result[o.name] = this.initializers.get(o.name) === t || feeds[o.name] === t ? clone(t) : t;
      }
      return result;
    });
  }

  /** Frees the initializers and tensor attributes. */
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
