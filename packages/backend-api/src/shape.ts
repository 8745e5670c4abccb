/** Shape helpers shared by the tensor front end and every backend. */

export type Shape = readonly number[];

/** The number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Whether two shapes have the same dimensions. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A shape as messages print it: `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * NumPy broadcasting of two shapes; returns null when they do not broadcast so the caller can
 * raise an error that names its op.
 */
export function tryBroadcastShapes(a: Shape, b: Shape): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return null;
  }
  return out;
}

/**
 * Strides for reading an input of shape `inShape` as if it had the broadcast shape `outShape`:
 * broadcast axes get stride 0.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    out[i + offset] = inShape[i] === 1 && outShape[i + offset] !== 1 ? 0 : strides[i];
  }
  return out;
}

/** Resolves a possibly negative axis against `rank`; returns -1 when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank && Number.isInteger(a) ? a : -1;
}

/** The broadcast of several shapes; throws naming `who` and every shape when they do not broadcast. */
export function broadcastShapes(who: string, ...shapes: Shape[]): number[] {
  let out: number[] = [];
  for (const s of shapes) {
    const next = tryBroadcastShapes(out, s);
    if (!next) throw new Error(`${who}: shapes ${shapes.map(formatShape).join(', ')} do not broadcast`);
    out = next;
  }
  return out;
}
