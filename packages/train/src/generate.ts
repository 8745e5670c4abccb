import { defaultRng, dispose, keep, Rng, tensor, tidy, ValueError } from '@recur/tensor';
import { type LMState, lastLogits, type SequenceModel } from './language-model';

/** How the next token is chosen from the logits. */
export interface SamplingOptions {
  /** Pick the most likely token every time (temperature, topK and topP are then ignored). */
  greedy?: boolean;
  /** Divides the logits: below 1 sharper, above 1 flatter. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the smallest set of tokens whose probabilities add up to at least p (nucleus). */
  topP?: number;
  /** The generator, or a seed for a fresh one; default the global generator. */
  seed?: number | Rng;
}

/** Chooses the next token from one row of logits. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions = {}, rng: Rng = defaultRng()): number {
  const n = logits.length;
  if (options.greedy) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new ValueError(`sampleToken: temperature must be > 0, got ${temperature}`);
  let order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  if (options.topK !== undefined) {
    if (!(options.topK >= 1)) throw new ValueError(`sampleToken: topK must be ≥ 1, got ${options.topK}`);
    order = order.slice(0, options.topK);
  }
  const max = logits[order[0]];
  let probs = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / total);
  if (options.topP !== undefined) {
    if (!(options.topP > 0 && options.topP <= 1))
      throw new ValueError(`sampleToken: topP must be in (0, 1], got ${options.topP}`);
    let cum = 0;
    let keepN = 0;
    while (keepN < probs.length && cum < options.topP) cum += probs[keepN++];
    order = order.slice(0, keepN);
    probs = probs.slice(0, keepN).map((p) => p / cum);
  }
  let u = rng.next();
  for (let k = 0; k < order.length; k++) {
    u -= probs[k];
    if (u < 0) return order[k];
  }
  return order[order.length - 1];
}

/** What `generate` produces and how it picks each token. */
export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to produce after the prompt. */
  maxTokens: number;
  /** Stop after producing this token (it is included). */
  eosId?: number;
  /** Called with each token as it is produced (for streaming). */
  onToken?: (id: number) => void;
}

/**
 * Generates token by token: the prompt is run once, then each new token is fed with the carried
 * state (the prefix is never re-run), through the model's `step` when it has one. Resolves to the
 * new tokens. The model runs in eval mode; each token's logits are read asynchronously, so it
 * runs on any backend.
 *
 * @example
 * ```ts
 * import { Vocab } from '@recur/data';
 * import { generate, RecurrentLM } from '@recur/train';
 * const vocab = Vocab.build(['hello world'], { specials: { bos: null, eos: null } });
 * const lm = new RecurrentLM({ vocabSize: vocab.size, embeddingDim: 8, hiddenSize: 16, cell: 'LSTM' });
 * const ids = await generate(lm, vocab.encode('hel'), { maxTokens: 20, temperature: 0.8, topK: 5, seed: 1 });
 * console.log(ids.length, ids.every((id) => id < vocab.size)); // 20 true
 * // an untrained model babbles; decode turns the ids back into text
 * console.log(typeof vocab.decode(ids)); // 'string'
 * ```
 */
export async function generate(
  model: SequenceModel & { eval?(): unknown; train?(mode?: boolean): unknown; training?: boolean },
  prompt: readonly number[],
  options: GenerateOptions,
): Promise<number[]> {
  if (prompt.length === 0) throw new ValueError('generate: the prompt needs at least one token');
  const rng =
    options.seed instanceof Rng ? options.seed : options.seed === undefined ? defaultRng() : new Rng(options.seed);
  const wasTraining = model.training;
  model.eval?.();
  const out: number[] = [];
  let state: LMState | undefined;
  let row: number[];
  try {
    const first = tidy(() => {
      const r = model.forward(tensor([prompt as number[]], { dtype: 'int32' }));
      return { logits: lastLogits(r.logits), state: r.state };
    });
    row = await readRow(first.logits);
    state = keepState(first.state);
    for (let k = 0; k < options.maxTokens; k++) {
      const id = sampleToken(row, options, rng);
      out.push(id);
      options.onToken?.(id);
      if (id === options.eosId) break;
      const prev: LMState = state;
      const step = model.step?.bind(model);
      const next = tidy(() => {
        if (step) return step(tensor([id], { dtype: 'int32' }), prev);
        const r = model.forward(tensor([[id]], { dtype: 'int32' }), prev);
        return { logits: lastLogits(r.logits), state: r.state };
      });
      dispose(prev);
      state = keepState(next.state);
      row = await readRow(next.logits);
    }
  } finally {
    if (state) dispose(state);
    if (wasTraining) model.train?.(true);
  }
  return out;
}

/** A row of logits read asynchronously (any backend), then freed. */
async function readRow(logits: import('@recur/tensor').Tensor): Promise<number[]> {
  try {
    return Array.from(await logits.data());
  } finally {
    logits.dispose();
  }
}

function keepState(s: LMState): LMState {
  return { h: keep(s.h), c: s.c ? keep(s.c) : undefined };
}
