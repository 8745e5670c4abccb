import { formatShape, tryBroadcastShapes } from '@recur/backend-api';
import { ShapeError } from '@recur/tensor';

export * from '@recur/tensor';

/** Bidirectional broadcast of a shape and a requested shape (ONNX Expand). */
export function tryBroadcast(node: string, a: readonly number[], b: readonly number[]): number[] {
  const out = tryBroadcastShapes(a, b);
  if (!out) throw new ShapeError(`${node}: cannot expand ${formatShape(a)} to ${formatShape(b)}`);
  return out;
}
