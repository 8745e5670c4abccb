import { CELLS } from '@recur/layers';
import type { LayerClass } from '../engine/config';
import { InputLayer } from '../engine/input-layer';
import { Activation } from '../layers/activation';
import { Bidirectional } from '../layers/bidirectional';
import { Dense } from '../layers/dense';
import { Dot } from '../layers/dot';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../layers/global-pooling';
import { LayerNormalization } from '../layers/layer-normalization';
import { Masking } from '../layers/masking';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../layers/merge';
import { GRU, LSTM, recurrentClasses, SimpleRNN } from '../layers/recurrent';
import { GRUCell, LSTMCell, SimpleRNNCell } from '../layers/recurrent-cell';
import { RepeatVector } from '../layers/repeat-vector';
import { Flatten, Permute, Reshape } from '../layers/reshaping';
import { RNN } from '../layers/rnn';
import { StackedRNNCells } from '../layers/stacked-cells';
import { TimeDistributed } from '../layers/time-distributed';
import { Model } from '../model';
import { Sequential } from '../sequential';

/** The Keras classes of every cell kind in `CELLS` that has no hand-written ones (a kind added by its spec). */
function cellKindClasses(written: ReadonlySet<string>): [string, unknown][] {
  return CELLS.filter((spec) => !written.has(spec.names.keras)).flatMap((spec) => {
    const { layer, cell } = recurrentClasses(spec);
    return [
      [spec.names.keras, layer],
      [spec.names.kerasCell, cell],
    ] as [string, unknown][];
  });
}

const WRITTEN: [string, unknown][] = [
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
  ['Dot', Dot],
  ['Add', Add],
  ['Subtract', Subtract],
  ['Multiply', Multiply],
  ['Average', Average],
  ['Maximum', Maximum],
  ['Minimum', Minimum],
  ['Functional', Model],
  ['Model', Model],
  ['Sequential', Sequential],
];

/**
 * recur's own Keras-door classes by the class names configs use, those of every cell kind in
 * `CELLS` included. A functional model ('Functional', tfjs' 'Model') comes back as a `Model`, so
 * a loaded model compiles, trains and saves.
 */
export const BUILTIN_CLASSES: ReadonlyMap<string, LayerClass> = new Map(
  [...WRITTEN, ...cellKindClasses(new Set(WRITTEN.map(([n]) => n)))].map(([name, cls]) => [name, cls as LayerClass]),
);
