import {
  type ArgReduceOp,
  type Backend,
  type BackendTensor,
  type BinaryOp,
  broadcastShapes,
  type CompareOp,
  type DType,
  type FusedKernels,
  RecurError,
  type ReduceOp,
  type Shape,
  type TypedArray,
  type UnaryOp,
  UnsupportedError,
} from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';
import { tfjsFusedKernels } from './fused-recurrent';
import { gather, onHost, scatterAddOnHost } from './host-gather';

/** A tensor on backend-tfjs: the values live in a tf.Tensor. */
export interface TfjsTensor extends BackendTensor {
  readonly data: tf.Tensor;
}

type TfDType = 'float32' | 'int32' | 'bool';

function tfDType(dtype: DType): TfDType {
  if (dtype === 'float64') {
    throw new UnsupportedError(
      'backend tfjs: TensorFlow.js has no float64; use float32 (backend js computes in float64)',
    );
  }
  return dtype;
}

function wrap(t: tf.Tensor, dtype?: DType): TfjsTensor {
  return { data: t, shape: [...t.shape], dtype: dtype ?? (t.dtype as DType) };
}

const T = (x: BackendTensor) => (x as TfjsTensor).data;

/** tfjs' values as the typed array of recur's dtype (tfjs keeps bool as int32). */
function asTyped(dtype: DType, v: unknown): TypedArray {
  if (dtype === 'bool') return Uint8Array.from(v as ArrayLike<number>);
  if (dtype === 'float32' && !(v instanceof Float32Array)) return Float32Array.from(v as ArrayLike<number>);
  if (dtype === 'int32' && !(v instanceof Int32Array)) return Int32Array.from(v as ArrayLike<number>);
  return v as TypedArray;
}

const broadcastShape = (...shapes: Shape[]) => broadcastShapes('backend tfjs', ...shapes);

/**
 * The backend interface on @tensorflow/tfjs-core, running on whichever tfjs backend is active
 * (tfjs-backend-cpu, -wasm, -webgl, -webgpu). Every primitive is one or a few tfjs ops; results
 * are tf.Tensors that recur disposes through its own tidy/dispose. Scatter-add is written as a
 * one-hot product, so Embedding gradients work on tfjs backends that lack UnsortedSegmentSum; on
 * the cpu and wasm backends gather and scatter-add run on the host (host-gather.ts).
 */
export interface TfjsBackendOptions {
  /** false turns the fused sequence kernel off (the composed path everywhere). */
  fused?: boolean;
  /**
   * The TensorFlow.js backend to run on ('cpu', 'wasm', 'webgl', 'webgpu'), or a list tried in
   * order (the first that starts is used): `init()` starts it, so `await ready()` after
   * `setBackend(new TfjsBackend({ backend }))` is all a program needs. Absent: whatever tfjs
   * backend is active. Its package must be imported (tfjs backends register on import).
   */
  backend?: string | readonly string[];
}

/** recur's backend interface on TensorFlow.js (`@tensorflow/tfjs-core`, a peer): every primitive as tfjs ops on the tfjs backend it starts (`init`), and fused whole-sequence recurrent kernels. `new TfjsBackend({ backend: 'wasm' })`, then `registerBackend` / `setBackend` and `await ready()`. */
export class TfjsBackend implements Backend {
  readonly name = 'tfjs';
  readonly fused: Partial<FusedKernels>;
  private readonly wanted: readonly string[];

  constructor(options: TfjsBackendOptions = {}) {
    this.fused = options.fused === false ? {} : tfjsFusedKernels;
    this.wanted =
      options.backend === undefined ? [] : typeof options.backend === 'string' ? [options.backend] : options.backend;
  }

  /**
   * TensorFlow.js' own start-up, in one place: the first of the wanted tfjs backends that starts
   * becomes tfjs' active backend, then `tf.ready()`. The registry awaits it (`ready()`).
   */
  async init(): Promise<void> {
    for (const name of this.wanted) {
      // tf.setBackend resolves false (or rejects) when a backend cannot start here (no WebGL, say).
      if (await tf.setBackend(name).catch(() => false)) break;
    }
    if (this.wanted.length && !this.wanted.includes(tf.getBackend())) {
      throw new RecurError(
        `backend tfjs: none of the TensorFlow.js backends ${this.wanted.join(', ')} could start here (is its package imported?)`,
      );
    }
    await tf.ready();
  }

  /** The TensorFlow.js backend the tensors live on ('cpu', 'wasm', 'webgl', ...). */
  get tfjsBackend(): string {
    return tf.getBackend();
  }

  fromValues(values: TypedArray, shape: Shape, dtype: DType): TfjsTensor {
    const d = tfDType(dtype);
    const v = dtype === 'bool' ? Int32Array.from(values as Uint8Array) : values;
    return wrap(tf.tensor(v as Float32Array | Int32Array, [...shape], d), dtype);
  }

  fill(shape: Shape, value: number, dtype: DType): TfjsTensor {
    return wrap(tf.fill([...shape], dtype === 'bool' ? (value ? 1 : 0) : value, tfDType(dtype)), dtype);
  }

  read(x: BackendTensor): TypedArray {
    return asTyped(x.dtype, T(x).dataSync());
  }

  /** tfjs' own asynchronous read: on WebGL and WebGPU it does not block the thread. */
  async readAsync(x: BackendTensor): Promise<TypedArray> {
    return asTyped(x.dtype, await T(x).data());
  }

  dispose(x: BackendTensor): void {
    T(x).dispose();
  }

  unary(op: UnaryOp, x: BackendTensor): TfjsTensor {
    const t = T(x);
    return wrap(
      tf.tidy(() => {
        switch (op) {
          case 'neg':
            return tf.neg(t);
          case 'abs':
            return tf.abs(t);
          case 'exp':
            return tf.exp(t);
          case 'log':
            return tf.log(t);
          case 'sqrt':
            return tf.sqrt(t);
          case 'tanh':
            return tf.tanh(t);
          case 'sigmoid':
            return tf.sigmoid(t);
          case 'relu':
            return tf.relu(t);
          case 'softplus':
            return tf.softplus(t);
          case 'sign':
            return tf.sign(t);
          case 'floor':
            return tf.floor(t);
          case 'ceil':
            return tf.ceil(t);
          case 'round':
            return tf.round(t);
          case 'sin':
            return tf.sin(t);
          case 'cos':
            return tf.cos(t);
          case 'logicalNot':
            return tf.logicalNot(t);
        }
      }),
      x.dtype,
    );
  }

  binary(op: BinaryOp, a: BackendTensor, b: BackendTensor): TfjsTensor {
    const x = T(a);
    const y = T(b);
    return wrap(
      tf.tidy(() => {
        switch (op) {
          case 'add':
            return tf.add(x, y);
          case 'sub':
            return tf.sub(x, y);
          case 'mul':
            return tf.mul(x, y);
          case 'div':
            // recur's integer division truncates toward zero; tfjs' floors.
            return a.dtype === 'int32'
              ? tf.cast(
                  tf.mul(
                    tf.sign(tf.div(tf.cast(x, 'float32'), tf.cast(y, 'float32'))),
                    tf.floor(tf.abs(tf.div(tf.cast(x, 'float32'), tf.cast(y, 'float32')))),
                  ),
                  'int32',
                )
              : tf.div(x, y);
          case 'pow':
            return tf.pow(x, y);
          case 'maximum':
            return tf.maximum(x, y);
          case 'minimum':
            return tf.minimum(x, y);
        }
      }),
      a.dtype,
    );
  }

  compare(op: CompareOp, a: BackendTensor, b: BackendTensor): TfjsTensor {
    const x = T(a);
    const y = T(b);
    const fn = {
      equal: tf.equal,
      notEqual: tf.notEqual,
      less: tf.less,
      lessEqual: tf.lessEqual,
      greater: tf.greater,
      greaterEqual: tf.greaterEqual,
    }[op];
    return wrap(fn(x, y), 'bool');
  }

  where(cond: BackendTensor, a: BackendTensor, b: BackendTensor): TfjsTensor {
    const shape = broadcastShape(cond.shape, a.shape, b.shape);
    return wrap(
      tf.tidy(() =>
        tf.where(tf.broadcastTo(T(cond), shape) as tf.Tensor, tf.broadcastTo(T(a), shape), tf.broadcastTo(T(b), shape)),
      ),
      a.dtype,
    );
  }

  cast(x: BackendTensor, dtype: DType): TfjsTensor {
    const t = T(x);
    if (dtype === 'int32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
      // Truncation toward zero, as recur's other backends.
      return wrap(
        tf.tidy(() => tf.cast(tf.mul(tf.sign(t), tf.floor(tf.abs(t))), 'int32')),
        'int32',
      );
    }
    return wrap(tf.cast(t, tfDType(dtype)), dtype);
  }

  reduce(op: ReduceOp, x: BackendTensor, axes: readonly number[]): TfjsTensor {
    if (axes.some((a) => x.shape[a] === 0)) {
      // A sum over nothing is 0 (tfjs-backend-wasm returns garbage for empty reductions).
      const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
      return this.fill(
        x.shape.filter((_, i) => !axes.includes(i)),
        0,
        dtype,
      );
    }
    const t = x.dtype === 'bool' ? tf.cast(T(x), 'int32') : T(x);
    const out = op === 'sum' ? tf.sum(t, [...axes]) : op === 'max' ? tf.max(t, [...axes]) : tf.min(t, [...axes]);
    if (t !== T(x)) t.dispose();
    return wrap(out, x.dtype === 'bool' ? 'int32' : x.dtype);
  }

  argReduce(op: ArgReduceOp, x: BackendTensor, axis: number): TfjsTensor {
    return wrap(op === 'argMax' ? tf.argMax(T(x), axis) : tf.argMin(T(x), axis), 'int32');
  }

  matMul(a: BackendTensor, b: BackendTensor, transposeA: boolean, transposeB: boolean): TfjsTensor {
    return wrap(
      tf.tidy(() => {
        let x = a.dtype === 'int32' ? tf.cast(T(a), 'float32') : T(a);
        let y = b.dtype === 'int32' ? tf.cast(T(b), 'float32') : T(b);
        // Broadcast the batch dimensions explicitly: tfjs handles only equal batch shapes everywhere.
        const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
        if (batch.length) {
          x = tf.broadcastTo(x, [...batch, ...a.shape.slice(-2)]);
          y = tf.broadcastTo(y, [...batch, ...b.shape.slice(-2)]);
        }
        // tfjs-wasm's matMul with transposeA is ~25× slower than a transpose followed by a plain matMul
        // (measured on the LSTM weight gradients: 1.3 s against 52 ms).
        let tA = transposeA;
        if (tA && tf.getBackend() === 'wasm') {
          const r = x.rank;
          x = tf.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
          tA = false;
        }
        const out = tf.matMul(x, y, tA, transposeB);
        return a.dtype === 'int32' ? tf.cast(out, 'int32') : out;
      }),
      a.dtype,
    );
  }

  reshape(x: BackendTensor, shape: Shape): TfjsTensor {
    return wrap(tf.reshape(T(x), [...shape]), x.dtype);
  }

  transpose(x: BackendTensor, perm: readonly number[]): TfjsTensor {
    return wrap(tf.transpose(T(x), [...perm]), x.dtype);
  }

  broadcastTo(x: BackendTensor, shape: Shape): TfjsTensor {
    // tfjs-wasm's Tile (which broadcastTo runs) costs ~80 ns an element; adding zeros broadcasts
    // in one native pass (43 ms against ~1 ms for a sum's gradient over [32, 64, 256]).
    if (tf.getBackend() === 'wasm' && x.dtype !== 'bool') {
      return wrap(
        tf.tidy(() => tf.add(T(x), tf.zeros([...shape], x.dtype as TfDType))),
        x.dtype,
      );
    }
    return wrap(tf.broadcastTo(T(x), [...shape]), x.dtype);
  }

  slice(x: BackendTensor, begin: readonly number[], size: readonly number[], step: readonly number[]): TfjsTensor {
    if (size.some((s) => s === 0)) return this.fill(size, 0, x.dtype);
    if (step.every((s) => s === 1)) return wrap(tf.slice(T(x), [...begin], [...size]), x.dtype);
    // Strided: gather the selected indices along each axis with a step other than 1.
    return wrap(
      tf.tidy(() => {
        let t = T(x);
        for (let axis = 0; axis < x.shape.length; axis++) {
          const idx = Array.from({ length: size[axis] }, (_, i) => begin[axis] + i * step[axis]);
          if (step[axis] === 1 && size[axis] === x.shape[axis]) continue;
          t = tf.gather(t, tf.tensor1d(idx, 'int32'), axis);
        }
        return t;
      }),
      x.dtype,
    );
  }

  concat(xs: readonly BackendTensor[], axis: number): TfjsTensor {
    return wrap(tf.concat(xs.map(T), axis), xs[0].dtype);
  }

  pad(x: BackendTensor, paddings: readonly (readonly [number, number])[], value: number): TfjsTensor {
    return wrap(
      tf.pad(
        T(x),
        paddings.map(([a, b]) => [a, b] as [number, number]),
        value,
      ),
      x.dtype,
    );
  }

  gather(x: BackendTensor, indices: BackendTensor, axis: number): TfjsTensor {
    return wrap(gather(T(x), T(indices), axis), x.dtype);
  }

  scatterAdd(shape: Shape, indices: BackendTensor, updates: BackendTensor, axis: number): TfjsTensor {
    if (onHost() && updates.dtype !== 'bool') {
      return wrap(scatterAddOnHost(shape, T(indices), T(updates), axis), updates.dtype);
    }
    const axisLen = shape[axis];
    return wrap(
      tf.tidy(() => {
        // out = onehot(indices)ᵀ · updates, with the scattered axis moved to the front.
        const n = indices.shape.reduce((a, b) => a * b, 1);
        const rank = updates.shape.length;
        const idxRank = indices.shape.length;
        const perm = [
          ...Array.from({ length: idxRank }, (_, i) => axis + i),
          ...Array.from({ length: axis }, (_, i) => i),
          ...Array.from({ length: rank - axis - idxRank }, (_, i) => axis + idxRank + i),
        ];
        const moved = tf.transpose(T(updates), perm);
        const flat = tf.reshape(moved, [n, -1]);
        // oneHot's own float dtype comes back all zeros on tfjs-backend-wasm 4.22: build int32, then cast.
        const onehot = tf.cast(tf.oneHot(tf.reshape(T(indices), [n]), axisLen), 'float32');
        const dtype = updates.dtype === 'int32' ? 'float32' : updates.dtype;
        const summed = tf.matMul(tf.transpose(onehot), tf.cast(flat, dtype as TfDType));
        const rest = [...shape.slice(0, axis), ...shape.slice(axis + 1)];
        const back = tf.reshape(summed, [axisLen, ...rest]);
        const inverse = [
          ...Array.from({ length: axis }, (_, i) => i + 1),
          0,
          ...Array.from({ length: rest.length - axis }, (_, i) => axis + 1 + i),
        ];
        const out = tf.transpose(back, inverse);
        return updates.dtype === 'int32' ? tf.cast(out, 'int32') : out;
      }),
      updates.dtype,
    );
  }
}
