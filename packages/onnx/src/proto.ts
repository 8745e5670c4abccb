import { FormatError } from '@recur/tensor';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: take the namespace off its default export so ESM and CJS builds agree.
/** ONNX's protobuf messages (onnx-proto's generated classes: ModelProto, GraphProto, NodeProto, ...). */
export const onnx = onnxProto.onnx;
/** The type of the `onnx` namespace of generated messages. */
export type onnx = typeof onnxProto.onnx;
/** The message types recur's ONNX code names. */
export declare namespace onnx {
  /** A decoded model. */
  type ModelProto = import('onnx-proto').onnx.ModelProto;
  /** A decoded graph. */
  type GraphProto = import('onnx-proto').onnx.GraphProto;
  /** A graph's fields, as `create` takes them. */
  type IGraphProto = import('onnx-proto').onnx.IGraphProto;
  /** A node's fields. */
  type INodeProto = import('onnx-proto').onnx.INodeProto;
  /** A tensor's fields. */
  type ITensorProto = import('onnx-proto').onnx.ITensorProto;
  /** A value info's fields. */
  type IValueInfoProto = import('onnx-proto').onnx.IValueInfoProto;
}

/** ONNX TensorProto.DataType values recur reads and writes. */
export const DataType = {
  /** float32 */
  FLOAT: 1,
  /** uint8 (read as int32) */
  UINT8: 2,
  /** int8 (read as int32) */
  INT8: 3,
  /** int32 */
  INT32: 6,
  /** int64 (read as int32, range checked) */
  INT64: 7,
  /** bool */
  BOOL: 9,
  /** float64 */
  DOUBLE: 11,
} as const;

/** A protobuf int64 field as protobufjs decodes it (a Long, or a number when small). */
export type Int64Like = number | { toNumber(): number } | string;

export function toNumber(v: Int64Like | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** Decodes a ModelProto, turning protobuf failures into an error that says what was being read. */
export function decodeModelProto(bytes: Uint8Array, what = 'ONNX model'): onnx.ModelProto {
  if (bytes.length === 0) throw new FormatError(`${what}: the file is empty`);
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError(
      `${what}: not a valid ONNX protobuf (${(e as Error).message}) — truncated or not an .onnx file?`,
    );
  }
  if (!model.graph) throw new FormatError(`${what}: the model has no graph (is this an ONNX file?)`);
  return model;
}
