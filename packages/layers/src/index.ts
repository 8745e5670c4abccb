export {
  ACTIVATIONS,
  type ActivationNameAny,
  type ActivationSpec,
  activation,
  canonicalActivation,
} from './activations';
export {
  CELLS,
  type CellSpec,
  type CellWeights,
  cellSpec,
  GRU_CELL,
  gateCount,
  LSTM_CELL,
  type OnnxStep,
  type OnnxStepWriter,
  SIMPLE_RNN,
  type StepOptions,
} from './cells/index';
export { Dropout, dropout } from './dropout';
export { Embedding } from './embedding';
export {
  canonicalInitializer,
  type Initializer,
  type InitializerConfig,
  type InitializerSpec,
  type InitOptions,
  initializer,
  torchUniform,
} from './initializers';
export { keras } from './keras-moved';
export { checkFeatures, Linear } from './linear';
export { Module, Parameter, type StateDictOptions, uniqueName } from './module';
export { embeddingLookup } from './ops/embedding';
export {
  composedRecurrent,
  fusedRecurrentUsable,
  RECURRENT_SLOTS,
  type RecurrentOpAttrs,
  type RecurrentResult,
  type RecurrentSlot,
  type RecurrentState,
  type RecurrentWeights,
  runRecurrent,
} from './ops/recurrent';
export { camelCase, checkOptions, nearestKey, snakeCase } from './options';
export { GRU, LSTM, RNN } from './recurrent/torch-modules';
export {
  type ForwardState,
  type RecurrentOutput,
  TorchRecurrent,
  type TorchRecurrentOptions,
} from './recurrent/torch-recurrent';
export { Sequential, type SequentialLayer } from './sequential';
export { GATE_ORDERS, type GateLayout, reorderGates } from './weight-layout/gate-order';
export {
  type CellKind,
  type KerasRecurrentWeights,
  kerasToOnnx,
  kerasToTorch,
  type OnnxRecurrentWeights,
  onnxToTorch,
  type TorchRecurrentWeights,
  torchToKeras,
  torchToOnnx,
} from './weight-layout/recurrent-layout';
