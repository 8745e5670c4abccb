import { detach, dispose, keep } from '@recur/tensor';
import type { LMState } from './language-model';

/**
 * Truncated BPTT: carries a recurrent state from one window to the next, detached so gradients
 * stop at the window boundary, and resets it at the start of a stream.
 *
 * @example
 * const carry = new StateCarry();
 * loss: (w) => {
 *   const out = lm.forward(w.x, carry.take(w.index === 0));
 *   carry.put(out.state);
 *   return crossEntropy(out.logits, w.y);
 * }
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

  reset(): void {
    if (this.state) dispose(this.state);
    this.state = undefined;
  }
}
