import type { Vocab } from '@recur/data';
import { dispose } from '@recur/tensor';
import type { Optimizer, RecurrentLM } from '@recur/train';
import { loadCheckpoint, saveCheckpoint } from '@recur/train/node';
import { existingFile } from './args';
import { demoExtra, lmFromCheckpoint } from './demo-checkpoint';

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
    extra: demoExtra({ task: 'lm', ...meta }),
  });
}

export interface LoadedLM {
  lm: RecurrentLM;
  vocab: Vocab;
  meta: LMMeta;
}

/** Reads a checkpoint written by `saveLM` (or the web page's trainer), with clear errors for other files. */
export function loadLM(path: string): LoadedLM {
  existingFile(path, 'checkpoint');
  const c = loadCheckpoint(path);
  if (c.optimizer) for (const s of c.optimizer.slots) dispose(Object.values(s));
  const { lm, vocab, meta } = lmFromCheckpoint(c, path);
  return { lm, vocab, meta: { corpus: '', history: [], ...meta, config: meta.config as LMMeta['config'] } };
}
