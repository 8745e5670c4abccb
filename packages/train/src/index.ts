export { EarlyStopping, ModelCheckpoint, type Monitor } from './callbacks';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
} from './checkpoint';
export { clipGradNorm, clipGradValue } from './clip';
export { allFinite } from './finite';
export {
  type BatchLogs,
  type Callback,
  countCorrect,
  type EpochLogs,
  evaluate,
  type FitOptions,
  fit,
  type History,
  type StepResult,
} from './fit';
export { type GenerateOptions, generate, type SamplingOptions, sampleToken } from './generate';
export { type LMState, lastLogits, RecurrentLM, type RecurrentLMConfig, type SequenceModel } from './language-model';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './losses/cross-entropy';
export * as losses from './losses/keras-names';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, mse, nll } from './losses/regression';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './ops/linear-cross-entropy';
export { Adagrad, type AdagradOptions } from './optimizers/adagrad';
export { Adam, type AdamOptions, AdamW } from './optimizers/adam';
export { type ClipOptions, Optimizer, type OptimizerState, type Slots } from './optimizers/optimizer';
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop';
export { SGD, type SGDOptions } from './optimizers/sgd';
export { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';
export { CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, type Schedule, StepLR } from './schedules';
export { StateCarry } from './state-carry';
