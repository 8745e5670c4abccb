import { type LMWindow, lmWindows } from '@recur/data';

/**
 * lmWindows, at most `limit` of them, each window's tensors freed as soon as the consumer asks for
 * the next one (or stops): a training loop over many epochs holds one window at a time.
 */
export function* lmWindowsOf(
  stream: Int32Array,
  batch: number,
  seqLen: number,
  limit = Number.POSITIVE_INFINITY,
): Generator<LMWindow> {
  let n = 0;
  for (const w of lmWindows(stream, { batchSize: batch, seqLen })) {
    try {
      if (n++ >= limit) return;
      yield w;
    } finally {
      w.x.dispose();
      w.y.dispose();
    }
  }
}
