import { shuffleInPlace } from '@recur/data';
import type { Rng } from '@recur/tensor';
import type { SymbolicTensor } from '../engine/symbolic';
import { type ArrayData, arrayBatches, type Batch, type BatchSource, sourceBatches } from './data-adapter';

/**
 * Keras' epoch iterator: each epoch's batches — of arrays in a fresh shuffled order (or in order),
 * or of a batch source iterated again (at most `steps` batches).
 */
export class EpochIterator {
  constructor(
    private readonly data:
      | { arrays: ArrayData; samples: number; batchSize: number; shuffle: boolean; rng: Rng }
      | { source: BatchSource; inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; steps?: number },
  ) {}

  /** Batches per epoch, when known. */
  get steps(): number | undefined {
    const d = this.data;
    return 'arrays' in d ? Math.ceil(d.samples / d.batchSize) : d.steps;
  }

  batches(): Iterable<Batch> | AsyncIterable<Batch> {
    const d = this.data;
    if ('source' in d) return sourceBatches(d.source, d.inputs, d.outputs, d.steps);
    const order = Int32Array.from({ length: d.samples }, (_, i) => i);
    if (d.shuffle) {
      const list = Array.from(order);
      shuffleInPlace(list, d.rng);
      order.set(list);
    }
    return arrayBatches(d.arrays, order, d.batchSize, !d.shuffle);
  }
}
