export type { AttrValue } from './attributes';
export { type AttributeInput, encodeModel, type ModelParts, node, tensorProto, valueInfo } from './builder';
export { type ExportOptions, exportOnnx } from './export';
export { LiftedModel, liftOnnx } from './lift';
export { type LoadOptions, MAX_OPSET, MIN_OPSET, OnnxModel, OPERATORS, type ValueInfo } from './model';
export type { OpContext, OpImpl } from './ops/op';
export { DataType, decodeModelProto, onnx } from './proto';
export { type ExternalDataReader, tensorFromProto } from './tensor-proto';
