/**
 * Every Keras-door layer, as `keras.layers` holds them: the recurrent layers and their cells, the
 * wrappers, and the layers recurrent models are built with.
 */

export { Activation, type ActivationOptions } from './activation';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './bidirectional';
export { Cell, type FusedForm } from './cell';
export { Dense, type DenseOptions } from './dense';
export { Dot, type DotOptions } from './dot';
export { Dropout, type DropoutOptions } from './dropout';
export { Embedding, type EmbeddingOptions } from './embedding';
export { GlobalAveragePooling1D, GlobalMaxPooling1D, type GlobalPoolingOptions } from './global-pooling';
export { LayerNormalization, type LayerNormalizationOptions } from './layer-normalization';
export { maskPlan, maskRows } from './mask-plan';
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
export {
  GRU,
  KerasRecurrent,
  type KerasRecurrentLayer,
  LSTM,
  type RecurrentClasses,
  type RecurrentLayerOptions,
  recurrentClasses,
  SimpleRNN,
} from './recurrent';
export {
  CELL_OPTION_KEYS,
  type CellOptions,
  GRUCell,
  LSTMCell,
  RecurrentCell,
  SimpleRNNCell,
} from './recurrent-cell';
export { RepeatVector, type RepeatVectorOptions } from './repeat-vector';
export { Flatten, type FlattenOptions, Permute, type PermuteOptions, Reshape, type ReshapeOptions } from './reshaping';
export { RNN, type RNNCallOptions, type RNNOptions } from './rnn';
export { StackedRNNCells } from './stacked-cells';
export { TimeDistributed } from './time-distributed';
