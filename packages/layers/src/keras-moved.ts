import { UnsupportedError } from '@recur/tensor';

/** What `keras` held here before the Keras door moved to `@recur/keras`: each name is now exported there. */
const MOVED = new Set([
  'Activation',
  'Add',
  'Average',
  'Bidirectional',
  'CELL_OPTION_KEYS',
  'Cell',
  'Concatenate',
  'Dense',
  'Dropout',
  'Embedding',
  'Flatten',
  'Functional',
  'GRU',
  'GRUCell',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'Input',
  'InputLayer',
  'LAYER_ARG_KEYS',
  'LSTM',
  'LSTMCell',
  'Layer',
  'LayerNormalization',
  'Masking',
  'Maximum',
  'Minimum',
  'Multiply',
  'Node',
  'Permute',
  'RNN',
  'RepeatVector',
  'Reshape',
  'SimpleRNN',
  'SimpleRNNCell',
  'StackedRNNCells',
  'Subtract',
  'SymbolicTensor',
  'TimeDistributed',
  'camelCase',
  'checkOptions',
  'classNameOf',
  'deserializeLayer',
  'formatOutputShape',
  'formatSymbolicShape',
  'isSymbolic',
  'knownLayerClasses',
  'layerClass',
  'mapGraph',
  'maskPlan',
  'maskRows',
  'nearestKey',
  'rebuildGraph',
  'registerLayer',
  'serializeLayer',
  'snakeCase',
  'specOf',
  'summaryTable',
  'toTensor',
]);

function where(name: string): string {
  if (['camelCase', 'checkOptions', 'nearestKey', 'snakeCase'].includes(name)) {
    return `import { ${name} } from '@recur/layers' (it is shared by both doors)`;
  }
  return `import { ${name} } from '@recur/keras'`;
}

/**
 * The Keras door used to be `keras.*` of this package; it is `@recur/keras` now (one package for
 * the engine, every Keras layer, Model / Sequential and the model files). Reading a name that
 * moved throws an error that says where it went.
 *
 * @deprecated Import the Keras door from `@recur/keras`. This object goes away in 0.3.
 */
export const keras: Readonly<Record<string, never>> = new Proxy(Object.freeze({}) as Record<string, never>, {
  get(_target, key) {
    if (typeof key === 'string' && MOVED.has(key)) {
      throw new UnsupportedError(`keras.${key} moved to @recur/keras: ${where(key)}`);
    }
    return undefined;
  },
});
