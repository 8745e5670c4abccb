import {
  type Backend,
  type BackendTensor,
  type DType,
  formatShape,
  RecurError,
  ShapeError,
  sizeOf,
  type TypedArray,
} from '@recur/backend-api';
import { currentRecorder, trackTensor } from './engine';

/** A nested JavaScript array of numbers, as `arraySync` returns and `tensor` accepts. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array on one backend. Immutable: ops return new tensors. Call `dispose()` (or
 * create it inside `tidy`) when done; `numTensors()` counts the live ones.
 */
export class Tensor {
  /** A number unique to this tensor in the process, increasing in creation order. */
  readonly id: number;
  /** Its dimensions ([] for a scalar). */
  readonly shape: readonly number[];
  /** Its element type. */
  readonly dtype: DType;
  /** Its number of elements. */
  readonly size: number;
  /** @internal the backend's storage; only the backend that made it may read it. */
  readonly storage: BackendTensor;
  /** @internal */
  readonly backend: Backend;
  private disposed = false;

  /** @internal use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: BackendTensor, backend: Backend) {
    this.storage = storage;
    this.backend = backend;
    this.shape = storage.shape;
    this.dtype = storage.dtype;
    this.size = sizeOf(storage.shape);
    this.id = trackTensor(this, true);
  }

  /** Its number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether it was disposed (any further use is an error). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Frees the storage. Disposing twice is harmless. While a gradient is being taken, a tensor the
   * tape still needs is left alone; the gradient's own scope frees it when backward is done.
   */
  dispose(): void {
    if (this.disposed) return;
    const recorder = currentRecorder();
    if (recorder?.holds(this)) {
      // Backward still needs it: freed when the gradient is done (a carried RNN state, say).
      recorder.deferDispose?.(this);
      return;
    }
    this.disposed = true;
    this.backend.dispose(this.storage);
    trackTensor(this, false);
  }

  /** @internal */
  assertAlive(op: string): void {
    if (this.disposed) {
      throw new RecurError(
        `${op}: tensor #${this.id} ${formatShape(this.shape)} ${this.dtype} was disposed`,
        'disposed',
      );
    }
  }

  /**
   * A copy of the values, row-major, in a typed array of this tensor's dtype. A backend that reads
   * only asynchronously (a GPU) refuses: use `await tensor.data()`.
   */
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const read = this.backend.read;
    if (!read) {
      throw new RecurError(
        `dataSync: backend '${this.backend.name}' reads only asynchronously; use await tensor.data() (or array())`,
        'async-only',
      );
    }
    return read.call(this.backend, this.storage).slice();
  }

  /** A copy of the values, row-major: asynchronously, where the backend reads so (any backend). */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    const b = this.backend;
    if (b.readAsync) return (await b.readAsync(this.storage)).slice();
    return this.dataSync();
  }

  /** The values as nested arrays (a number for a scalar). */
  arraySync(): NestedArray {
    return this.nest(this.dataSync());
  }

  /** The values as nested arrays (a number for a scalar), asynchronously. */
  async array(): Promise<NestedArray> {
    return this.nest(await this.data());
  }

  /** The single value of a one-element tensor, asynchronously. */
  async itemAsync(): Promise<number> {
    this.checkOne();
    return (await this.data())[0];
  }

  private checkOne(): void {
    if (this.size !== 1) {
      throw new ShapeError(`item: expected a tensor with one element, got shape ${formatShape(this.shape)}`);
    }
  }

  private nest(values: TypedArray): NestedArray {
    const flat: number[] = Array.from(values as ArrayLike<number>);
    if (this.rank === 0) return flat[0];
    const build = (axis: number, offset: number): NestedArray[] => {
      const n = this.shape[axis];
      const step = sizeOf(this.shape.slice(axis + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(axis === this.rank - 1 ? flat[offset + i] : build(axis + 1, offset + i * step));
      }
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    this.checkOne();
    return this.dataSync()[0];
  }

  /** `Tensor float32 [2, 3]`: what it is, not its values. */
  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/**
 * The values when the tensor's backend can read them synchronously, else null: for checks of
 * input values (token ids in range, lengths) that a backend with asynchronous reads only (a GPU)
 * goes without, as TensorFlow.js' GPU backends do.
 */
export function hostValues(t: Tensor): TypedArray | null {
  return t.backend.read ? t.dataSync() : null;
}
