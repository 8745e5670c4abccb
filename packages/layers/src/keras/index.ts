/**
 * The Keras door: layers configured with option objects (`units`, `returnSequences`, ...), built
 * on first call, weights in Keras layout. Same implementation as the PyTorch door underneath.
 */

export { Dropout } from '../dropout';
export { KerasEmbedding as Embedding, type KerasEmbeddingOptions as EmbeddingOptions } from '../embedding';
export { Dense, type DenseOptions } from '../linear';
export { Sequential } from '../sequential';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './bidirectional';
export { type CellOptions, GRUCell, LSTMCell, SimpleRNNCell } from './builtin-cells';
export { Cell, type FusedForm } from './cell';
export { GRU, type KerasRecurrentLayer, LSTM, type RecurrentLayerOptions, SimpleRNN } from './layers';
export { maskPlan, maskRows, RNN, type RNNCallOptions, type RNNOptions } from './rnn';
