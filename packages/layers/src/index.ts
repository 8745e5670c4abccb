export {
  ACTIVATIONS,
  type ActivationNameAny,
  type ActivationSpec,
  activation,
  canonicalActivation,
} from './activations';
export { Dropout, dropout } from './dropout';
export { Embedding, embeddingLookup } from './embedding';
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
export { camelCase, checkOptions, nearestKey, snakeCase } from './options';
export { composedRecurrent } from './recurrent/composed';
export {
  fusedRecurrentUsable,
  type RecurrentResult,
  type RecurrentState,
  type RecurrentWeights,
  runRecurrent,
} from './recurrent/recurrent-op';
export {
  type ForwardState,
  GRU,
  LSTM,
  type RecurrentOutput,
  RNN,
  TorchRecurrent,
  type TorchRecurrentOptions,
} from './recurrent/torch-recurrent';
export { Sequential, type SequentialLayer } from './sequential';
export { GATE_ORDERS, type GateLayout, reorderGates } from './weight-layout/gate-order';
export {
  type KerasRecurrentWeights,
  kerasToOnnx,
  kerasToTorch,
  type OnnxRecurrentWeights,
  onnxToTorch,
  type TorchRecurrentWeights,
  torchToKeras,
  torchToOnnx,
} from './weight-layout/recurrent-layout';
