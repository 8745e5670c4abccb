import { Activation } from '../layers/activation';
import { Bidirectional } from '../layers/bidirectional';
import { GRUCell, LSTMCell, SimpleRNNCell } from '../layers/builtin-cells';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../layers/global-pooling';
import { LayerNormalization } from '../layers/layer-normalization';
import { Masking } from '../layers/masking';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../layers/merge';
import { GRU, LSTM, SimpleRNN } from '../layers/recurrent';
import { RepeatVector } from '../layers/repeat-vector';
import { Flatten, Permute, Reshape } from '../layers/reshaping';
import { RNN } from '../layers/rnn';
import { StackedRNNCells } from '../layers/stacked-cells';
import { TimeDistributed } from '../layers/time-distributed';
import { Functional } from './functional';
import { InputLayer } from './input-layer';
import type { LayerClass } from './registry';

/** recur's own Keras-door classes by the class names configs use (built on first lookup). */
export function builtinLayerClasses(): Map<string, LayerClass> {
  const classes: [string, unknown][] = [
    ['InputLayer', InputLayer],
    ['Dense', Dense],
    ['Embedding', Embedding],
    ['Dropout', Dropout],
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
