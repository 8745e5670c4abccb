import { lmWindows } from '@recur/data';
import { Rng, type Tensor, tensor } from '@recur/tensor';
import { sampleToken } from '@recur/train';
import type { Batch } from './session';

/** A language model's batch: token ids x and the next tokens y, [batch, seqLen]. */
export interface Window extends Batch {
  x: Tensor;
  y: Tensor;
}

/** One pass of lmWindows over a token stream, as batches the Worker's loop frees. */
export function* windowBatches(ids: readonly number[], batch: number, seqLen: number): Generator<Window> {
  for (const w of lmWindows(ids, { batchSize: batch, seqLen })) {
    yield {
      x: w.x,
      y: w.y,
      tokenCount: w.x.size,
      dispose: () => {
        w.x.dispose();
        w.y.dispose();
      },
    };
  }
}

/**
 * A token stream split for a language model: the first 90% to train on, the last 10% held out for
 * validation; an error when the training part cannot fill one window.
 */
export function splitStream(ids: number[], seqLen: number): { train: number[]; held: number[] } {
  const cut = Math.floor(ids.length * 0.9);
  const train = ids.slice(0, cut);
  if (train.length < seqLen + 1)
    throw new Error(`the corpus has ${train.length} training tokens, fewer than one window`);
  return { train, held: ids.slice(cut) };
}

/** Windows per pass (what lmWindows yields for this stream). */
export function windowsPerEpoch(tokens: number, batch: number, seqLen: number): number {
  return Math.ceil(Math.floor((tokens - 1) / batch) / seqLen);
}

/**
 * Samples `maxTokens` tokens from a model that only maps a whole prefix to next-token scores
 * ([1, t] ids → [1, t, V]): it reads the whole prefix again for each token (a model from a file
 * has no state to carry), which is fine for a sample of a few dozen characters. `probabilities`:
 * the scores are softmax outputs (their log is sampled from), else logits.
 */
export async function samplePrefix(
  scores: (ids: Tensor) => Tensor | Promise<Tensor>,
  prompt: number[],
  o: { maxTokens: number; symbols: number; temperature: number; seed: number; probabilities: boolean },
): Promise<number[]> {
  const rng = new Rng(o.seed);
  const ids = [...prompt];
  for (let k = 0; k < o.maxTokens; k++) {
    const x = tensor([ids], { dtype: 'int32' });
    const out = await scores(x);
    const V = out.shape[2];
    const row = Array.from(out.dataSync().subarray((ids.length - 1) * V, ids.length * V)).slice(0, o.symbols);
    x.dispose();
    out.dispose();
    ids.push(sampleToken(o.probabilities ? row.map((p) => Math.log(Math.max(p, 1e-30))) : row, o, rng));
  }
  return ids.slice(prompt.length);
}
