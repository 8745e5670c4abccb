import { Vocab } from '@recur/data';
import { dispose, FormatError } from '@recur/tensor';
import { type Optimizer, RecurrentLM, type RecurrentLMConfig } from '@recur/train';
import { loadCheckpoint, saveCheckpoint } from '@recur/train/node';
import { existingFile } from './args';

export type LMCell = 'LSTM' | 'GRU' | 'RNN';

/** What a language-model checkpoint of the demo records besides the weights. */
export interface LMMeta {
  config: { vocabSize: number; embeddingDim: number; hiddenSize: number; cell: LMCell };
  corpus: string;
  history: { epoch: number; loss: number; valLoss?: number; valPerplexity?: number }[];
}

/** Writes weights, optimizer state, vocabulary and config in one safetensors file, atomically. */
export function saveLM(
  path: string,
  lm: RecurrentLM,
  vocab: Vocab,
  meta: LMMeta,
  optimizer?: Optimizer,
  epoch?: number,
): void {
  const optimizerState = optimizer?.state();
  saveCheckpoint(path, {
    model: lm.stateDict(),
    optimizer: optimizerState,
    step: optimizer?.stepCount ?? 0,
    epoch,
    vocab: vocab.toJSON(),
    extra: { demo: meta },
  });
}

export interface LoadedLM {
  lm: RecurrentLM;
  vocab: Vocab;
  meta: LMMeta;
}

/** Reads a checkpoint written by `saveLM`, with clear errors for other files. */
export function loadLM(path: string): LoadedLM {
  existingFile(path, 'checkpoint');
  const c = loadCheckpoint(path);
  try {
    const meta = c.extra?.demo as LMMeta | undefined;
    if (!meta?.config || !c.vocab) {
      throw new FormatError(`${path}: a recur checkpoint, but not a language model saved by recur-demo train-lm`);
    }
    const config: RecurrentLMConfig = { ...meta.config };
    const lm = new RecurrentLM(config);
    lm.loadStateDict(c.model);
    return { lm, vocab: Vocab.fromJSON(c.vocab), meta };
  } finally {
    dispose(Object.values(c.model));
    if (c.optimizer) for (const s of c.optimizer.slots) dispose(Object.values(s));
  }
}
