import { FormatError } from '@recur/tensor';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: take the namespace off its default export so ESM and CJS builds agree.
export const onnx = onnxProto.onnx;
export type onnx = typeof onnxProto.onnx;
export declare namespace onnx {
  type ModelProto = import('onnx-proto').onnx.ModelProto;
  type GraphProto = import('onnx-proto').onnx.GraphProto;
  type IGraphProto = import('onnx-proto').onnx.IGraphProto;
  type INodeProto = import('onnx-proto').onnx.INodeProto;
  type ITensorProto = import('onnx-proto').onnx.ITensorProto;
  type IValueInfoProto = import('onnx-proto').onnx.IValueInfoProto;
}

/** ONNX TensorProto.DataType values recur reads and writes. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
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
