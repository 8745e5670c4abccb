/**
 * Plain reference implementations of the tensor ops on flat number arrays: written for
 * obviousness, not speed, by index arithmetic alone, so they share no code with any backend.
 */
export interface NDArray {
  shape: number[];
  data: number[];
}

export function nd(shape: number[], data: ArrayLike<number>): NDArray {
  return { shape, data: Array.from(data) };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function ravel(idx: number[], shape: number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dims = shapes.map((s) => s[d - (rank - s.length)] ?? 1);
    out.push(Math.max(...dims));
  }
  return out;
}

function readBroadcast(a: NDArray, idx: number[]): number {
  const off = idx.length - a.shape.length;
  const own = a.shape.map((d, k) => (d === 1 ? 0 : idx[k + off]));
  return a.data[ravel(own, a.shape)];
}

export function map(xs: NDArray[], f: (...v: number[]) => number): NDArray {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    return f(...xs.map((x) => readBroadcast(x, idx)));
  });
  return { shape, data };
}

export function reduce(
  x: NDArray,
  axes: number[],
  init: number,
  f: (acc: number, v: number) => number,
  keepDims = false,
): NDArray {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const data = new Array(size(kept)).fill(init);
  x.data.forEach((v, i) => {
    const idx = unravel(i, x.shape).map((k, d) => (axes.includes(d) ? 0 : k));
    const o = ravel(idx, kept);
    data[o] = f(data[o], v);
  });
  return { shape: keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i)), data };
}

export function matMul(a: NDArray, b: NDArray, ta = false, tb = false): NDArray {
  const A = ta ? transpose(a, swapLast(a.shape.length)) : a;
  const B = tb ? transpose(b, swapLast(b.shape.length)) : b;
  const M = A.shape[A.shape.length - 2];
  const K = A.shape[A.shape.length - 1];
  const N = B.shape[B.shape.length - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    const bi = idx.slice(0, -2);
    const [m, n] = idx.slice(-2);
    let s = 0;
    for (let k = 0; k < K; k++) {
      s += readBroadcast(A, [...bi, m, k]) * readBroadcast(B, [...bi, k, n]);
    }
    return s;
  });
  return { shape, data };
}

function swapLast(rank: number): number[] {
  const p = [...Array(rank).keys()];
  [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

export function transpose(x: NDArray, perm: number[]): NDArray {
  const shape = perm.map((p) => x.shape[p]);
  const data = Array.from({ length: x.data.length }, (_, i) => {
    const idx = unravel(i, shape);
    const src = new Array(x.shape.length);
    perm.forEach((p, k) => {
      src[p] = idx[k];
    });
    return x.data[ravel(src, x.shape)];
  });
  return { shape, data };
}

export function slice(x: NDArray, begin: number[], sizes: number[], steps: number[]): NDArray {
  const data = Array.from({ length: size(sizes) }, (_, i) => {
    const idx = unravel(i, sizes).map((k, d) => begin[d] + k * steps[d]);
    return x.data[ravel(idx, x.shape)];
  });
  return { shape: sizes, data };
}

export function concat(xs: NDArray[], axis: number): NDArray {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    let k = idx[axis];
    for (const x of xs) {
      if (k < x.shape[axis])
        return x.data[
          ravel(
            idx.map((v, d) => (d === axis ? k : v)),
            x.shape,
          )
        ];
      k -= x.shape[axis];
    }
    throw new Error('unreachable');
  });
  return { shape, data };
}

export function pad(x: NDArray, paddings: [number, number][], value: number): NDArray {
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape).map((k, d) => k - paddings[d][0]);
    return idx.every((k, d) => k >= 0 && k < x.shape[d]) ? x.data[ravel(idx, x.shape)] : value;
  });
  return { shape, data };
}

export function gather(x: NDArray, indices: NDArray, axis: number): NDArray {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const data = Array.from({ length: size(shape) }, (_, i) => {
    const idx = unravel(i, shape);
    const j = ravel(idx.slice(axis, axis + indices.shape.length), indices.shape);
    const src = [...idx.slice(0, axis), indices.data[j], ...idx.slice(axis + indices.shape.length)];
    return x.data[ravel(src, x.shape)];
  });
  return { shape, data };
}

export function scatterAdd(shape: number[], indices: NDArray, updates: NDArray, axis: number): NDArray {
  const data = new Array(size(shape)).fill(0);
  updates.data.forEach((v, i) => {
    const idx = unravel(i, updates.shape);
    const j = ravel(idx.slice(axis, axis + indices.shape.length), indices.shape);
    const dst = [...idx.slice(0, axis), indices.data[j], ...idx.slice(axis + indices.shape.length)];
    data[ravel(dst, shape)] += v;
  });
  return { shape, data };
}
