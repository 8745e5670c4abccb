export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
} from './checkpoint';
export { type ClippedGrads, clipGradNorm, clipGradNormAsync, clipGradValue } from './clip';
export { allFinite } from './finite';
export { countCorrect, evaluate, type FitOptions, fit } from './fit';
export { type GenerateOptions, generate, type SamplingOptions, sampleToken } from './generate';
export {
  type LMLoss,
  type LMOutput,
  type LMState,
  lastLogits,
  RecurrentLM,
  type RecurrentLMConfig,
  type SequenceModel,
} from './language-model';
export {
  type Callback,
  callbackList,
  type FitParams,
  type History,
  type Logs,
  notify,
  type TrainedModel,
} from './loop/callbacks';
export { EarlyStopping, type EarlyStoppingOptions } from './loop/early-stopping';
export { ModelCheckpoint } from './loop/model-checkpoint';
export { evalStep, type StepOutcome, type StepResult, type TrainStepOptions, trainStep } from './loop/step';
export { type EpochAggregator, type TrainLoopOptions, trainLoop } from './loop/train-loop';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './losses/cross-entropy';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, mse, nll } from './losses/regression';
export { type AdamHyper, type AdamSlots, type AdamUpdate, adamUpdate, adamUpdateAll, composedAdam } from './ops/adam';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './ops/linear-cross-entropy';
export { Adagrad, type AdagradOptions } from './optimizers/adagrad';
export { Adam, type AdamOptions, AdamW } from './optimizers/adam';
export { type ClipOptions, Optimizer, type OptimizerState, type ParamUpdate, type Slots } from './optimizers/optimizer';
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop';
export { SGD, type SGDOptions } from './optimizers/sgd';
export { type Reads, readAsync, readSync } from './reads';
export { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';
export { CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, type Schedule, StepLR } from './schedules';
export { StateCarry } from './state-carry';
