import type { DType, Tensor } from '@recur/tensor';
import { DataType, onnx } from './proto';

const ELEM: Record<DType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/** A TensorProto with raw little-endian data (int32 tensors can be written as int64 for index inputs). */
export function tensorProto(name: string, t: Tensor, as?: 'int64'): onnx.ITensorProto {
  const values = t.dataSync();
  let raw: Uint8Array;
  let dataType = ELEM[t.dtype];
  if (as === 'int64') {
    const big = BigInt64Array.from(Array.from(values as Int32Array), (v) => BigInt(v));
    raw = new Uint8Array(big.buffer);
    dataType = DataType.INT64;
  } else {
    raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  }
  return onnx.TensorProto.create({ name, dims: [...t.shape], dataType, rawData: raw });
}

/** An attribute as `node` takes it: integers are INT, `{ float }` a FLOAT, arrays INTS / FLOATS / STRINGS. */
export type AttributeInput =
  | number
  | string
  | number[]
  | string[]
  | {
      /** A TENSOR attribute. */
      tensor: onnx.ITensorProto;
    }
  | {
      /** A FLOAT attribute (a whole number too). */
      float: number;
    }
  | {
      /** A GRAPH attribute (a Scan's or a Loop's body). */
      graph: onnx.IGraphProto;
    };

/** A NodeProto; integers become INT attributes (use { float } for a FLOAT), arrays INTS / STRINGS. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttributeInput> = {},
  name?: string,
): onnx.INodeProto {
  const enc = new TextEncoder();
  const attribute = Object.entries(attrs).map(([k, v]) => {
    if (typeof v === 'number') return Number.isInteger(v) ? { name: k, type: 2, i: v } : { name: k, type: 1, f: v };
    if (typeof v === 'string') return { name: k, type: 3, s: enc.encode(v) };
    if (Array.isArray(v)) {
      return typeof v[0] === 'string'
        ? { name: k, type: 8, strings: (v as string[]).map((s) => enc.encode(s)) }
        : (v as number[]).every(Number.isInteger)
          ? { name: k, type: 7, ints: v as number[] }
          : { name: k, type: 6, floats: v as number[] };
    }
    if ('float' in v) return { name: k, type: 1, f: v.float };
    if ('graph' in v) return { name: k, type: 5, g: v.graph };
    return { name: k, type: 4, t: v.tensor };
  });
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    attribute,
    name: name ?? `${opType}_${outputs[0]}`,
  });
}

/** A tensor ValueInfoProto; string dimensions are symbolic (dynamic axes). */
export function valueInfo(name: string, dtype: DType | 'int64', shape: (number | string)[]): onnx.IValueInfoProto {
  const elemType = dtype === 'int64' ? DataType.INT64 : ELEM[dtype];
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

/** What `encodeModel` puts in a ModelProto. */
export interface ModelParts {
  /** The graph's nodes, in topological order. */
  nodes: onnx.INodeProto[];
  /** The graph's inputs. */
  inputs: onnx.IValueInfoProto[];
  /** The graph's outputs. */
  outputs: onnx.IValueInfoProto[];
  /** Weights and constants. */
  initializers: onnx.ITensorProto[];
  /** The default domain's opset (default 17). */
  opset?: number;
  /** The graph's name (default 'recur'). */
  name?: string;
  /** metadata_props, e.g. a vocabulary. */
  metadata?: Record<string, string>;
  /** producer_version (default recur's). */
  producerVersion?: string;
}

/** Encodes a ModelProto (IR version 8) to bytes. */
export function encodeModel(p: ModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'recur',
    producerVersion: p.producerVersion ?? '0.1.0',
    opsetImport: [{ domain: '', version: p.opset ?? 17 }],
    graph: { name: p.name ?? 'recur', node: p.nodes, input: p.inputs, output: p.outputs, initializer: p.initializers },
    metadataProps: Object.entries(p.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
