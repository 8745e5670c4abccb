/** @deprecated import from `@recur/files` (moved there; re-exported for one minor version) */
export { checkRelativePath } from '@recur/files';
export { oneHot } from '@recur/tensor';
export {
  type BucketOptions,
  bucketBatches,
  collate,
  type LMWindow,
  lmWindows,
  type PaddedBatch,
  shuffleInPlace,
  trainValidationSplit,
} from './batching';
export { Normalizer, type NormalizerJSON } from './normalizer';
export {
  isPackedSequence,
  PackedSequence,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
} from './packed-sequence';
export { lengthsFromPadded, maskFromLengths, maskFromPadded, type PadOptions, padSequences } from './pad-sequences';
export {
  type SeriesInput,
  type TimeseriesBatch,
  TimeseriesDataset,
  type TimeseriesOptions,
  timeseriesDataset,
} from './timeseries';
export { charTokenizer, type Tokenizer, wordTokenizer } from './tokenizers';
export {
  type SpecialTokens,
  TokenCounter,
  VOCAB_FORMAT_VERSION,
  Vocab,
  type VocabJSON,
  type VocabOptions,
} from './vocab';
