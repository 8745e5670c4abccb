import type { LinearCrossEntropyAttrs, LinearCrossEntropyInputs, TypedArray } from '@recur/backend-api';
import { type WasmBlock, WasmKernels } from '../wasm/runtime';
import { linearCrossEntropyDims } from './linear-cross-entropy';

/**
 * The fused Linear + softmax cross-entropy on the SIMD kernels, float32. Forward: logits
 * z = x·Wᵀ + b by one gemm (rows split across threads), then each row's loss, with the logits
 * turned into d loss / d logits in place. That buffer and the copy of x stay in wasm memory (a
 * retained block) until backward, which needs no other input: dx = dZ·W, dW = dZᵀ·x, db = Σ dZ.
 * The logits are never handed back nor materialised twice.
 */

const f32 = (t: { data?: unknown }) => (t as { data: TypedArray }).data as Float32Array;

/** A product of `rows` rows and `work` multiply-adds each is worth a barrier above about 2^17 of them. */
function threadsFor(usable: number, rows: number, work: number): number {
  return rows >= 8 && rows * work >= 1 << 17 ? Math.min(usable, Math.floor(rows / 4)) : 1;
}

/** The weight as the B of x·B (K×C) for packB: element strides (rs, cs). */
function weightStrides(attrs: LinearCrossEntropyAttrs, K: number, C: number): [number, number] {
  return attrs.kernelLayout === 'inOut' ? [C, 1] : [1, K];
}

export function wasmLinearCrossEntropy(
  k: WasmKernels,
  inputs: LinearCrossEntropyInputs,
  attrs: LinearCrossEntropyAttrs,
  threads = 1,
): { loss: Float32Array; workspace: WasmBlock | null } {
  const { N, K, C } = linearCrossEntropyDims(inputs, attrs);
  const save = attrs.saveForBackward ?? true;
  const fn = k.fn;
  k.reset();
  // Kept for backward: d loss / d logits [N, C], then x [N, K].
  const block = save ? k.retain(N * C + N * K) : null;
  const [rs, cs] = weightStrides(attrs, K, C);
  const packed = k.packedWeights(f32(inputs.weight), K, C, rs, cs);
  const z = block ? block.at : k.alloc(N * C);
  const px = block ? block.at + N * C * 4 : k.alloc(N * K);
  const usable = k.threads(threads);
  const scratch = k.scratch(usable);
  const bias = inputs.bias ? k.put(f32(inputs.bias)) : 0;
  const targets = k.alloc(N);
  const loss = k.alloc(N);
  const f = k.f32();
  f.set(f32(inputs.x).subarray(0, N * K), px / 4);
  new Int32Array(f.buffer, targets, N).set(inputs.targets.data as Int32Array);

  if (bias) fn.broadcastRows(N, C, bias, z);
  k.gemmRows(threadsFor(usable, N, C * K), scratch, N, C, K, px, K, 1, packed, z, C, bias ? 1 : 0);
  const rowThreads = N >= 64 ? usable : 1;
  k.parallel(
    WasmKernels.blocks(N, rowThreads, 1).map(([r0, n]) => [
      'xentRows',
      n,
      C,
      z + r0 * C * 4,
      C,
      targets + r0 * 4,
      attrs.ignoreIndex,
      // Workers take i32 arguments only: ε travels as its float32 bits.
      f32Bits(attrs.labelSmoothing),
      loss + r0 * 4,
      save ? 1 : 0,
    ]),
  );
  return { loss: k.take(loss, N), workspace: block };
}

const bits = new DataView(new ArrayBuffer(4));
function f32Bits(v: number): number {
  bits.setFloat32(0, v);
  return bits.getInt32(0);
}

export function wasmLinearCrossEntropyBackward(
  k: WasmKernels,
  inputs: LinearCrossEntropyInputs,
  attrs: LinearCrossEntropyAttrs,
  workspace: WasmBlock,
  dLoss: TypedArray,
  threads = 1,
): { dx: Float32Array; dWeight: Float32Array; dBias?: Float32Array } {
  if (workspace.released) throw new Error('backend-js: the cross-entropy workspace was released before backward');
  const { N, K, C } = linearCrossEntropyDims(inputs, attrs);
  const fn = k.fn;
  k.reset();
  const saved = workspace.at;
  const px = saved + N * C * 4;
  // W as it is ([C, K] or [K, C]) is the B of dx = dZ · Wᵀ-of-the-forward.
  const inOut = attrs.kernelLayout === 'inOut';
  const packedW = k.packedWeights(f32(inputs.weight), C, K, inOut ? 1 : K, inOut ? C : 1);
  const usable = k.threads(threads);
  const scratch = k.scratch(usable);
  const g = k.put(dLoss);
  const dZ = k.alloc(N * C);
  const dx = k.alloc(N * K);
  const dW = k.alloc(K * C);
  const dB = k.alloc(C);
  const packed = k.alloc(Math.max(fn.packedSize(N, K), fn.packedSize(N, C)) / 4);
  fn.scaleRows(N, C, saved, C, g, dZ);
  k.gemmRows(threadsFor(usable, N, K * C), scratch, N, K, C, dZ, C, 1, packedW, dx, K, 0);
  if (inOut) {
    // dW [K, C] = xᵀ · dZ
    fn.packB(N, C, dZ, C, 1, packed);
    k.gemmRows(threadsFor(usable, K, C * N), scratch, K, C, N, px, 1, K, packed, dW, C, 0);
  } else {
    // dW [C, K] = dZᵀ · x
    fn.packB(N, K, px, K, 1, packed);
    k.gemmRows(threadsFor(usable, C, K * N), scratch, C, K, N, dZ, 1, C, packed, dW, K, 0);
  }
  let dBias: Float32Array | undefined;
  if (inputs.bias) {
    k.f32().fill(0, dB / 4, dB / 4 + C);
    fn.colSums(N, C, dZ, C, dB);
    dBias = k.take(dB, C);
  }
  return { dx: k.take(dx, N * K), dWeight: k.take(dW, K * C), dBias };
}
