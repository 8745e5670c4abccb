import { KerasDropout } from '../dropout';
import { KerasEmbedding } from '../embedding';
import { Dense } from '../linear';
import { Activation } from './activation-layer';
import { Bidirectional } from './bidirectional';
import { GRUCell, LSTMCell, SimpleRNNCell } from './builtin-cells';
import { Functional } from './functional';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './global-pooling';
import { InputLayer } from './input-layer';
import { LayerNormalization } from './layer-normalization';
import { GRU, LSTM, SimpleRNN } from './layers';
import { Masking } from './masking';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge';
import type { LayerClass } from './registry';
import { RepeatVector } from './repeat-vector';
import { Flatten, Permute, Reshape } from './reshaping';
import { RNN } from './rnn';
import { StackedRNNCells } from './stacked-cells';
import { TimeDistributed } from './time-distributed';

/** recur's own Keras-door classes by the class names configs use (built on first lookup). */
export function builtinLayerClasses(): Map<string, LayerClass> {
  const classes: [string, unknown][] = [
    ['InputLayer', InputLayer],
    ['Dense', Dense],
    ['Embedding', KerasEmbedding],
    ['Dropout', KerasDropout],
    ['Activation', Activation],
    ['SimpleRNN', SimpleRNN],
    ['LSTM', LSTM],
    ['GRU', GRU],
    ['RNN', RNN],
    ['SimpleRNNCell', SimpleRNNCell],
    ['LSTMCell', LSTMCell],
    ['GRUCell', GRUCell],
    ['StackedRNNCells', StackedRNNCells],
    ['Bidirectional', Bidirectional],
    ['TimeDistributed', TimeDistributed],
    ['Masking', Masking],
    ['RepeatVector', RepeatVector],
    ['Reshape', Reshape],
    ['Flatten', Flatten],
    ['Permute', Permute],
    ['LayerNormalization', LayerNormalization],
    ['GlobalAveragePooling1D', GlobalAveragePooling1D],
    ['GlobalMaxPooling1D', GlobalMaxPooling1D],
    ['Concatenate', Concatenate],
    ['Add', Add],
    ['Subtract', Subtract],
    ['Multiply', Multiply],
    ['Average', Average],
    ['Maximum', Maximum],
    ['Minimum', Minimum],
    ['Functional', Functional],
  ];
  return new Map(classes as [string, LayerClass][]);
}
