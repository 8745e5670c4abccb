/**
 * @recur/keras — the Keras model API on recur's engine: `Input`, `Model`, `Sequential` with
 * `compile` / `fit` / `evaluate` / `predict`, Keras' layers, optimizers, losses and metrics by
 * name, whole-model save and load, and TensorFlow.js / Keras model files.
 */

// The callback protocol, EarlyStopping and History are @recur/train's, one for every training loop.
export {
  type Callback,
  EarlyStopping,
  type EarlyStoppingOptions,
  type FitParams,
  type History,
  type Logs,
  ModelCheckpoint,
} from '@recur/train';
export * as losses from './compile/losses';
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  huber,
  type LossFn,
  type LossIdentifier,
  logCosh,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  resolveLoss,
  sparseCategoricalCrossentropy,
} from './compile/losses';
export { type HostTensor, type Metric, type MetricIdentifier, resolveMetric } from './compile/metrics';
export {
  type AdagradConfig,
  type AdamConfig,
  makeOptimizer,
  type OptimizerIdentifier,
  type OptimizerSpec,
  optimizers,
  type RMSpropConfig,
  type SGDConfig,
} from './compile/optimizers';
export {
  type ConfigContext,
  classNameOf,
  contextOf,
  fromSpec,
  type LayerClass,
  type LayerSpec,
  specOf,
} from './engine/config';
export { Functional, type FunctionalOptions } from './engine/functional';
export { type FunctionalConfig, type FunctionalLayerConfig, rebuildGraph } from './engine/functional-config';
export { type GraphMap, mapGraph } from './engine/graph';
export { Input, InputLayer, type InputLayerOptions, type InputOptions } from './engine/input-layer';
export {
  type ApplyArgs,
  type ArrayInput,
  type CallArgs,
  type EagerOutputs,
  LAYER_ARG_KEYS,
  Layer,
  type LayerArgs,
  type Mask,
  type MultiOutput,
  type SymbolicOutputs,
  toTensor,
  type WeightSource,
} from './engine/layer';
export { LayerWeight } from './engine/layer-weight';
export { formatOutputShape, printSummary, type SummaryOptions, type SummaryRow, summaryTable } from './engine/summary';
export {
  formatSymbolicShape,
  isSymbolic,
  Node,
  type NodeArgs,
  type ShapeArg,
  type SymbolicShape,
  SymbolicTensor,
} from './engine/symbolic';
export type { KerasLayerJson } from './io/keras-json';
export { type KerasArchive, readKerasArchive } from './io/keras3-format';
export { type LoadOptions, loadLayersModel, loadModel, type ModelArtifacts, type ModelSource } from './io/load';
export {
  detectModelFile,
  MODEL_FILE_FORMATS,
  type ModelFileFormat,
  type ModelFileName,
  modelFileFormat,
} from './io/model-files';
export { type SavedFiles, type SaveFormat, type SaveOptions, saveModel, serializeModel } from './io/save';
export { type ModelJson, tfjsWeightNames, type WeightSpec, writeModelJson } from './io/tfjs-format';
export { fromTorchForm, type TorchForm, type TorchLayerSpec, toTorchForm } from './io/torch-form';
export * from './layers/index';
export * as layers from './layers/index';
export { Model, type ModelOptions, type Prediction } from './model';
export {
  type DeserializeOptions,
  deserializeLayer,
  knownLayerClasses,
  layerClass,
  registerLayer,
  serializeLayer,
} from './saving/registry';
export { Sequential, type SequentialOptions } from './sequential';
export type { CompileArgs, Compiled } from './trainer/compile-utils';
export type { BatchSource, DataBatch, DataInput } from './trainer/data-adapter';
export { ProgressLogger } from './trainer/progress';
export type { EvaluateArgs, FitArgs } from './trainer/trainer';
