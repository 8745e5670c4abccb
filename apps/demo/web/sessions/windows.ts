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
