import {
  allocTypedArray,
  type BinaryOp,
  broadcastStrides,
  type CompareOp,
  type DType,
  shapesEqual,
  sizeOf,
  stridesOf,
  type TypedArray,
  type UnaryOp,
} from '@recur/backend-api';
import { stridedCopy } from '../strided-copy';

/** `values` laid out as `outShape` (a copy when broadcasting is needed, else the same array). */
export function expandTo(
  values: TypedArray,
  inShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): TypedArray {
  if (shapesEqual(inShape, outShape)) return values;
  const out = allocTypedArray(dtype, sizeOf(outShape));
  stridedCopy(values, 0, broadcastStrides(inShape, outShape), out, 0, stridesOf(outShape), outShape);
  return out;
}

function softplus(x: number): number {
  // log(1 + e^x) without overflow, as PyTorch computes it with threshold 20.
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unaryLoop(op: UnaryOp, x: TypedArray, out: TypedArray): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = Math.max(x[i], 0);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) out[i] = softplus(x[i]);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0;
      return;
    case 'floor':
      for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]);
      return;
    case 'ceil':
      for (let i = 0; i < n; i++) out[i] = Math.ceil(x[i]);
      return;
    case 'round':
      // Round half to even, as NumPy, PyTorch and ONNX do.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const r = Math.round(v);
        out[i] = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
      }
      return;
    case 'sin':
      for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]);
      return;
    case 'cos':
      for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]);
      return;
    case 'logicalNot':
      for (let i = 0; i < n; i++) out[i] = x[i] === 0 ? 1 : 0;
      return;
  }
}

export function binaryLoop(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray): void {
  const n = out.length;
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      return;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      return;
    case 'div':
      if (out instanceof Int32Array) {
        // Integer division truncates toward zero (C, ONNX); the front end promotes true division to float.
        for (let i = 0; i < n; i++) out[i] = Math.trunc(a[i] / b[i]);
      } else {
        for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      }
      return;
    case 'pow':
      for (let i = 0; i < n; i++) out[i] = a[i] ** b[i];
      return;
    case 'maximum':
      for (let i = 0; i < n; i++) out[i] = a[i] >= b[i] || Number.isNaN(a[i]) ? a[i] : b[i];
      return;
    case 'minimum':
      for (let i = 0; i < n; i++) out[i] = a[i] <= b[i] || Number.isNaN(a[i]) ? a[i] : b[i];
      return;
  }
}

export function compareLoop(op: CompareOp, a: TypedArray, b: TypedArray, out: Uint8Array): void {
  const n = out.length;
  switch (op) {
    case 'equal':
      for (let i = 0; i < n; i++) out[i] = a[i] === b[i] ? 1 : 0;
      return;
    case 'notEqual':
      for (let i = 0; i < n; i++) out[i] = a[i] !== b[i] ? 1 : 0;
      return;
    case 'less':
      for (let i = 0; i < n; i++) out[i] = a[i] < b[i] ? 1 : 0;
      return;
    case 'lessEqual':
      for (let i = 0; i < n; i++) out[i] = a[i] <= b[i] ? 1 : 0;
      return;
    case 'greater':
      for (let i = 0; i < n; i++) out[i] = a[i] > b[i] ? 1 : 0;
      return;
    case 'greaterEqual':
      for (let i = 0; i < n; i++) out[i] = a[i] >= b[i] ? 1 : 0;
      return;
  }
}

export function castArray(x: TypedArray, dtype: DType): TypedArray {
  const out = allocTypedArray(dtype, x.length);
  if (dtype === 'bool') {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else if (dtype === 'int32') {
    // Truncation toward zero, as PyTorch's and ONNX's float → int casts.
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  } else {
    out.set(x);
  }
  return out;
}
