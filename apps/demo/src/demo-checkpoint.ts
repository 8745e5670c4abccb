import { Vocab } from '@recur/data';
import { dispose, FormatError } from '@recur/tensor';
import { type Checkpoint, RecurrentLM, type RecurrentLMConfig } from '@recur/train';

/**
 * What the demo's checkpoints record besides the weights, in `extra.demo`, written the same way by
 * the CLI and the web page (browser-safe: no Node imports). Files the web page wrote before
 * recorded `extra.task` / `extra.model`; `demoMeta` still reads them.
 */
export type DemoMeta =
  | {
      task: 'lm';
      config: RecurrentLMConfig;
      corpus?: string;
      history?: { epoch: number; loss: number; valLoss?: number; valPerplexity?: number }[];
    }
  | { task: 'classifier'; config: Record<string, unknown>; metrics?: Record<string, unknown> };

/** The `extra` of a checkpoint the demo writes. */
export function demoExtra(meta: DemoMeta): Record<string, unknown> {
  return { demo: meta };
}

/** What a checkpoint's `extra` says the demo trained, or undefined for a checkpoint the demo did not write. */
export function demoMeta(extra: Record<string, unknown> | undefined): DemoMeta | undefined {
  const demo = extra?.demo as Record<string, unknown> | undefined;
  if (demo?.task === 'lm' || demo?.task === 'classifier') return demo as DemoMeta;
  // Earlier CLI files: { config, corpus, history } for a language model, { classifier, metrics } for the classifier.
  if (demo?.config) return { task: 'lm', ...(demo as Omit<Extract<DemoMeta, { task: 'lm' }>, 'task'>) };
  if (demo?.classifier) {
    return { task: 'classifier', config: demo.classifier as Record<string, unknown> };
  }
  // Earlier web files.
  if (extra?.task === 'lm' && extra.model) return { task: 'lm', config: extra.model as RecurrentLMConfig };
  if (extra?.task === 'classifier' && extra.model) {
    return { task: 'classifier', config: extra.model as Record<string, unknown> };
  }
  return undefined;
}

/** A language model the demo saved, rebuilt from its checkpoint (whose tensors it disposes). */
export function lmFromCheckpoint(
  c: Checkpoint,
  where: string,
): { lm: RecurrentLM; vocab: Vocab; meta: Extract<DemoMeta, { task: 'lm' }> } {
  try {
    const meta = demoMeta(c.extra);
    if (meta?.task !== 'lm' || !c.vocab) {
      const what = meta?.task === 'classifier' ? 'the spam classifier' : 'not a language model saved by the demo';
      throw new FormatError(`${where}: a recur checkpoint, but ${what}`);
    }
    const lm = new RecurrentLM({ ...meta.config, rng: undefined, dtype: undefined });
    lm.loadStateDict(c.model);
    return { lm, vocab: Vocab.fromJSON(c.vocab), meta };
  } finally {
    dispose(Object.values(c.model));
  }
}
