import {
  type ArgReduceOp,
  allocTypedArray,
  type Backend,
  type BackendTensor,
  type BinaryOp,
  broadcastShapes,
  type CompareOp,
  type DType,
  type FusedKernels,
  type ReduceOp,
  type Shape,
  sizeOf,
  type TypedArray,
  type UnaryOp,
} from '@recur/backend-api';
import { createFusedKernels } from './fused-kernels';
import { binaryLoop, castArray, compareLoop, expandTo, unaryLoop } from './kernels/elementwise';
import { matMul } from './kernels/mat-mul';
import { broadcastTo, concat, gather, pad, scatterAdd, slice, transpose } from './kernels/movement';
import { argReduce, reduce } from './kernels/reduce';
import { isBlockTensor } from './wasm/block-tensor';
import { wasmKernels } from './wasm/loader';
import type { WasmKernels } from './wasm/runtime';

/** A tensor on backend-js: the values live in a typed array of the tensor's dtype. */
export interface JsTensor extends BackendTensor {
  readonly data: TypedArray;
}

function make(data: TypedArray, shape: Shape, dtype: DType): JsTensor {
  return { data, shape: [...shape], dtype };
}

function values(x: BackendTensor): TypedArray {
  return (x as JsTensor).data;
}

const outShapeOf = (...shapes: Shape[]) => broadcastShapes('backend-js', ...shapes);

/** How a JsBackend runs: which kernels it may use. */
export interface JsBackendOptions {
  /** Fused whole-sequence recurrent kernels (default true). */
  fused?: boolean;
  /** WebAssembly SIMD kernels for float32 (default true, or RECUR_WASM=0 in the environment turns them off). */
  wasm?: boolean;
  /** Most threads per kernel call (default: all cores). Workers start on the first call large enough to use them. */
  threads?: number;
}

function wasmByDefault(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.RECUR_WASM !== '0';
}

/**
 * The default backend: every primitive on typed arrays, in plain TypeScript. Works in Node and in
 * browsers with no native code.
 */
export class JsBackend implements Backend {
  readonly name = 'js';
  readonly fused: Partial<FusedKernels>;
  /** Whether float32 products and recurrent kernels may run on WebAssembly SIMD. */
  readonly wasm: boolean;
  /** Most threads one kernel call may use (the WebAssembly kernels only). */
  readonly threads: number;

  /**
   * `fused: false` turns the fused kernels off, so layers take the composed path; `wasm: false`
   * keeps every kernel in TypeScript (default: on, unless the environment sets RECUR_WASM=0).
   * Both exist for tests and comparisons: results agree to float32 rounding either way.
   * `threads` caps the threads of one call (default: every core; 1 = never start workers).
   */
  constructor(options: JsBackendOptions = {}) {
    this.wasm = options.wasm ?? wasmByDefault();
    const threads = options.threads ?? Number.POSITIVE_INFINITY;
    if (!(threads >= 1)) throw new Error(`JsBackend: threads must be a number ≥ 1, got ${options.threads}`);
    this.threads = threads;
    this.fused = options.fused === false ? {} : createFusedKernels(this.wasm, threads);
  }

  /** The SIMD kernels when this backend may use them and the engine has them. */
  private simd(): WasmKernels | null {
    return this.wasm ? wasmKernels() : null;
  }

  fromValues(v: TypedArray, shape: Shape, dtype: DType): JsTensor {
    return make(v, shape, dtype);
  }

  fill(shape: Shape, value: number, dtype: DType): JsTensor {
    const data = allocTypedArray(dtype, sizeOf(shape));
    if (value !== 0) data.fill(value);
    return make(data, shape, dtype);
  }

  read(x: BackendTensor): TypedArray {
    return values(x);
  }

  dispose(x: BackendTensor): void {
    // Typed arrays are reclaimed by the garbage collector once no tensor refers to them; a
    // workspace kept in kernel memory gives its block back.
    if (isBlockTensor(x)) x.block.release();
  }

  unary(op: UnaryOp, x: BackendTensor): JsTensor {
    const out = allocTypedArray(x.dtype, sizeOf(x.shape));
    unaryLoop(op, values(x), out);
    return make(out, x.shape, x.dtype);
  }

  binary(op: BinaryOp, a: BackendTensor, b: BackendTensor): JsTensor {
    const shape = outShapeOf(a.shape, b.shape);
    const out = allocTypedArray(a.dtype, sizeOf(shape));
    binaryLoop(op, expandTo(values(a), a.shape, shape, a.dtype), expandTo(values(b), b.shape, shape, b.dtype), out);
    return make(out, shape, a.dtype);
  }

  compare(op: CompareOp, a: BackendTensor, b: BackendTensor): JsTensor {
    const shape = outShapeOf(a.shape, b.shape);
    const out = new Uint8Array(sizeOf(shape));
    compareLoop(op, expandTo(values(a), a.shape, shape, a.dtype), expandTo(values(b), b.shape, shape, b.dtype), out);
    return make(out, shape, 'bool');
  }

  where(cond: BackendTensor, a: BackendTensor, b: BackendTensor): JsTensor {
    const shape = outShapeOf(cond.shape, a.shape, b.shape);
    const c = expandTo(values(cond), cond.shape, shape, 'bool');
    const x = expandTo(values(a), a.shape, shape, a.dtype);
    const y = expandTo(values(b), b.shape, shape, b.dtype);
    const out = allocTypedArray(a.dtype, c.length);
    for (let i = 0; i < out.length; i++) out[i] = c[i] ? x[i] : y[i];
    return make(out, shape, a.dtype);
  }

  cast(x: BackendTensor, dtype: DType): JsTensor {
    return make(castArray(values(x), dtype), x.shape, dtype);
  }

  reduce(op: ReduceOp, x: BackendTensor, axes: readonly number[]): JsTensor {
    const shape = x.shape.filter((_, i) => !axes.includes(i));
    const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
    return make(reduce(op, values(x), x.shape, axes, x.dtype), shape, dtype);
  }

  argReduce(op: ArgReduceOp, x: BackendTensor, axis: number): JsTensor {
    const shape = x.shape.filter((_, i) => i !== axis);
    return make(argReduce(op, values(x), x.shape, axis, x.dtype), shape, 'int32');
  }

  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): JsTensor {
    const r = matMul(
      values(a),
      a.shape,
      values(b),
      b.shape,
      transposeA,
      transposeB,
      a.dtype,
      this.simd(),
      this.threads,
    );
    return make(r.data, r.shape, a.dtype);
  }

  reshape(x: BackendTensor, shape: Shape): JsTensor {
    // Row-major data is the same for every shape of the same size: share it.
    return make(values(x), shape, x.dtype);
  }

  transpose(x: BackendTensor, perm: readonly number[]): JsTensor {
    return make(
      transpose(values(x), x.shape, perm, x.dtype),
      perm.map((p) => x.shape[p]),
      x.dtype,
    );
  }

  broadcastTo(x: BackendTensor, shape: Shape): JsTensor {
    return make(broadcastTo(values(x), x.shape, shape, x.dtype), shape, x.dtype);
  }

  slice(x: BackendTensor, begin: readonly number[], size: readonly number[], step: readonly number[]): JsTensor {
    return make(slice(values(x), x.shape, begin, size, step, x.dtype), size, x.dtype);
  }

  concat(xs: readonly BackendTensor[], axis: number): JsTensor {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    return make(
      concat(
        xs.map((x) => ({ data: values(x), shape: x.shape })),
        axis,
        xs[0].dtype,
      ),
      shape,
      xs[0].dtype,
    );
  }

  pad(x: BackendTensor, paddings: readonly (readonly [number, number])[], value: number): JsTensor {
    const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
    return make(pad(values(x), x.shape, paddings, value, x.dtype), shape, x.dtype);
  }

  gather(x: BackendTensor, indices: BackendTensor, axis: number): JsTensor {
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    return make(gather(values(x), x.shape, values(indices) as Int32Array, axis, x.dtype), shape, x.dtype);
  }

  scatterAdd(shape: Shape, indices: BackendTensor, updates: BackendTensor, axis: number): JsTensor {
    return make(
      scatterAdd(shape, values(indices) as Int32Array, values(updates), axis, updates.dtype),
      shape,
      updates.dtype,
    );
  }
}
