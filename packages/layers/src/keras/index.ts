/**
 * The Keras door: layers configured with option objects (`units`, `returnSequences`, ...), built
 * on first call, weights in Keras layout, callable on tensors and on symbolic tensors
 * (`keras.Input`) to build model graphs. Same implementation as the PyTorch door underneath.
 * `@recur/keras` adds Model / Sequential with compile, fit, predict and model files.
 */

export { KerasDropout as Dropout, type KerasDropoutOptions as DropoutOptions } from '../dropout';
export { KerasEmbedding as Embedding, type KerasEmbeddingOptions as EmbeddingOptions } from '../embedding';
export { Dense, type DenseOptions } from '../linear';
export { Activation, type ActivationOptions } from './activation-layer';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './bidirectional';
export { CELL_OPTION_KEYS, type CellOptions, GRUCell, LSTMCell, SimpleRNNCell } from './builtin-cells';
export { Cell, type FusedForm } from './cell';
export {
  Functional,
  type FunctionalConfig,
  type FunctionalLayerConfig,
  type FunctionalOptions,
  rebuildGraph,
} from './functional';
export { GlobalAveragePooling1D, GlobalMaxPooling1D, type GlobalPoolingOptions } from './global-pooling';
export { type GraphMap, mapGraph } from './graph';
export { Input, InputLayer, type InputLayerOptions, type InputOptions } from './input-layer';
export {
  type ApplyArgs,
  type ArrayInput,
  type CallArgs,
  type ConfigContext,
  type EagerOutputs,
  Layer,
  type LayerArgs,
  type LayerSpec,
  type Mask,
  type SymbolicOutputs,
  specOf,
  toTensor,
  type WeightSource,
  withWeightSource,
} from './layer';
export { LayerNormalization, type LayerNormalizationOptions } from './layer-normalization';
export { GRU, type KerasRecurrentLayer, LSTM, type RecurrentLayerOptions, SimpleRNN } from './layers';
export { Masking, type MaskingOptions } from './masking';
export {
  Add,
  Average,
  Concatenate,
  type ConcatenateOptions,
  Maximum,
  Minimum,
  Multiply,
  Subtract,
} from './merge';
export { camelCase, checkOptions, LAYER_ARG_KEYS, nearestKey, snakeCase } from './options';
export {
  classNameOf,
  deserializeLayer,
  knownLayerClasses,
  type LayerClass,
  layerClass,
  registerLayer,
  serializeLayer,
} from './registry';
export { RepeatVector, type RepeatVectorOptions } from './repeat-vector';
export { Flatten, type FlattenOptions, Permute, type PermuteOptions, Reshape, type ReshapeOptions } from './reshaping';
export { maskPlan, maskRows, RNN, type RNNCallOptions, type RNNOptions } from './rnn';
export { StackedRNNCells } from './stacked-cells';
export { formatOutputShape, type SummaryRow, summaryTable } from './summary';
export {
  formatSymbolicShape,
  isSymbolic,
  Node,
  type NodeArgs,
  type ShapeArg,
  type SymbolicShape,
  SymbolicTensor,
} from './symbolic';
export { TimeDistributed } from './time-distributed';
