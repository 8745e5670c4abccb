import { detach, dispose, keep } from '@recur/tensor';
import type { LMState } from './language-model';

/**
 * Truncated BPTT: carries a recurrent state from one window to the next, detached so gradients
 * stop at the window boundary, and resets it at the start of a stream.
 *
 * @example
 * ```ts
 * import { lmWindows } from '@recur/data';
 * import { Adam, fit, RecurrentLM, StateCarry } from '@recur/train';
 * const ids = Array.from({ length: 400 }, (_, i) => i % 7);
 * const lm = new RecurrentLM({ vocabSize: 7, embeddingDim: 4, hiddenSize: 16, cell: 'GRU' });
 * const carry = new StateCarry(); // truncated BPTT: the state flows on, the gradient stops at the window
 * const history = await fit({
 *   model: lm,
 *   optimizer: new Adam(lm.parameters(), { lr: 0.02 }),
 *   epochs: 2,
 *   train: () => lmWindows(ids, { batchSize: 4, seqLen: 10 }),
 *   loss: (w) => {
 *     const out = lm.loss(w.x, w.y, { state: carry.take(w.index === 0) }); // cross-entropy of the next tokens
 *     carry.put(out.state);
 *     return out.loss;
 *   },
 * });
 * console.log(history.history.loss[1] < history.history.loss[0]); // true
 * ```
 */
export class StateCarry {
  private state: LMState | undefined;

  /** The state to start from; none when `reset` (a stream boundary). */
  take(reset = false): LMState | undefined {
    if (reset) this.reset();
    return this.state;
  }

  /** Keeps a detached copy of `state` for the next window (the previous one is freed). */
  put(state: LMState): void {
    const next: LMState = { h: keep(detach(state.h)), c: state.c ? keep(detach(state.c)) : undefined };
    this.reset();
    this.state = next;
  }

  /** Drops the carried state (the next window starts from zeros). */
  reset(): void {
    if (this.state) dispose(this.state);
    this.state = undefined;
  }
}
