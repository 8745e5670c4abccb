import type { OpRecorder, RecordedOp, Tensor } from '@recur/tensor';

/**
 * Records the ops that depend on watched tensors, in execution order (which is a topological
 * order, so backward is one reverse loop). It holds every tensor it recorded so that `tidy`
 * scopes inside the traced function do not free what backward still needs.
 */
export class Tape implements OpRecorder {
  /** The recorded kernel calls, in execution order. */
  readonly nodes: RecordedOp[] = [];
  private readonly watched = new Set<Tensor>();
  private readonly held = new Set<Tensor>();
  /** Tensors disposed while held: freed once the gradient is done. */
  readonly deferred = new Set<Tensor>();

  /** Records the ops that depend on `t` from now on. */
  watch(t: Tensor): void {
    this.watched.add(t);
  }

  /** Whether `t` is watched or was computed from a watched tensor. */
  isWatched(t: Tensor): boolean {
    return this.watched.has(t);
  }

  /** Keeps `op` if it read a watched tensor (its outputs become watched). */
  record(op: RecordedOp): void {
    if (!op.inputs.some((t) => this.watched.has(t))) return;
    this.nodes.push(op);
    for (const t of op.inputs) this.held.add(t);
    for (const t of op.outputs) {
      this.watched.add(t);
      this.held.add(t);
    }
    for (const t of op.saved) this.held.add(t);
  }

  holds(t: Tensor): boolean {
    return this.held.has(t);
  }

  deferDispose(t: Tensor): void {
    this.deferred.add(t);
  }
}
