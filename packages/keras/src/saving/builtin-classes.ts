import type { LayerClass } from '../engine/config';
import { InputLayer } from '../engine/input-layer';
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
import { Model } from '../model';
import { Sequential } from '../sequential';

/**
 * recur's own Keras-door classes by the class names configs use. A functional model ('Functional',
 * tfjs' 'Model') comes back as a `Model`, so a loaded model compiles, trains and saves.
 */
export const BUILTIN_CLASSES: ReadonlyMap<string, LayerClass> = new Map(
  (
    [
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
      ['Functional', Model],
      ['Model', Model],
      ['Sequential', Sequential],
    ] as [string, unknown][]
  ).map(([name, cls]) => [name, cls as LayerClass]),
);
