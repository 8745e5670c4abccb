import type { FusedKernels, RecurrentAttrs, RecurrentInputs, RecurrentOutputs } from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';

const T = (x: { data: unknown } | undefined) => x?.data as tf.Tensor | undefined;

const ACT: Record<string, (x: tf.Tensor) => tf.Tensor> = { sigmoid: tf.sigmoid, tanh: tf.tanh, relu: tf.relu };

/**
 * The forward pass of a whole sequence in one tidy: the input projection of every step is one
 * matMul, then each step is one matMul plus a handful of elementwise ops. Inference only: with
 * a gradient to take, recur's layers use the composed path (supportsRecurrent says so).
 */
export const tfjsFusedKernels: Partial<FusedKernels> = {
  supportsRecurrent(attrs: RecurrentAttrs): boolean {
    return (
      attrs.saveForBackward === false &&
      attrs.projSize === 0 &&
      attrs.activations.every((a) => a in ACT) &&
      (attrs.kind !== 'gru' || attrs.linearBeforeReset)
    );
  },

  recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
    const [B, Tn, I] = inputs.x.shape;
    const H = attrs.hiddenSize;
    const [fA, fB, fC] = attrs.activations.map((a) => ACT[a]);
    const lengths = inputs.seqLengths ? Array.from(T(inputs.seqLengths)?.dataSync() as Int32Array) : null;
    const out = tf.tidy(() => {
      const x = T(inputs.x) as tf.Tensor;
      // Weights transposed once: tfjs-wasm re-transposes a transposeB operand on every call.
      let xw = tf.matMul(tf.reshape(x, [B * Tn, I]), tf.transpose(T(inputs.wIh) as tf.Tensor2D));
      const bIh = T(inputs.bIh);
      if (bIh) xw = tf.add(xw, bIh);
      // LSTM and RNN add b_hh outside any gate product: fold it in here, once for all steps. (GRU's
      // b_hn sits inside the reset gate's product.)
      const bHhIn = T(inputs.bHh);
      if (bHhIn && attrs.kind !== 'gru') xw = tf.add(xw, bHhIn);
      const xwFlat = xw as tf.Tensor2D; // [B·T, G·H]
      const xw3 = tf.reshape(xwFlat, [B, Tn, -1]);
      const lensAll = lengths ?? new Array(B).fill(Tn);
      // The inputs in processing order (reverse: each sequence from its own end).
      let inOrder: tf.Tensor = xw3;
      if (attrs.reverse && !lengths) inOrder = tf.reverse(xw3, 1);
      else if (attrs.reverse) {
        const rows = lensAll.flatMap((len, b) =>
          Array.from({ length: Tn }, (_, s) => b * Tn + Math.max(len - 1 - s, 0)),
        );
        inOrder = tf.reshape(tf.gather(xwFlat, tf.tensor1d(rows, 'int32')), [B, Tn, -1]);
      }
      // Time-major once, then each step's rows straight from the data: on tfjs-wasm every slice (and
      // so unstack) of a big tensor costs as much as the whole tensor.
      const timeMajor = tf.transpose(inOrder, [1, 0, 2]).dataSync() as Float32Array;
      const width = timeMajor.length / (Tn * B);
      const stepInput = (s: number) => tf.tensor2d(timeMajor.subarray(s * B * width, (s + 1) * B * width), [B, width]);
      const wHhT = tf.transpose(T(inputs.wHh) as tf.Tensor2D) as tf.Tensor2D;
      const bHh = T(inputs.bHh);
      let h = T(inputs.h0) as tf.Tensor2D;
      let c = T(inputs.c0) as tf.Tensor2D | undefined;
      const ys: tf.Tensor2D[] = [];
      const lens = lengths ?? new Array(B).fill(Tn);
      for (let s = 0; s < Tn; s++) {
        // One tidy per step keeps only the new state and output alive (the wasm heap stays small).
        const prevH = h;
        const prevC = c;
        const step = tf.tidy(() => {
          // This step's input rows, in processing order, straight from the downloaded projection.
          const xt = stepInput(s);
          let hNew: tf.Tensor2D;
          let cNew: tf.Tensor2D | undefined;
          if (attrs.kind === 'lstm') {
            // x·W_ihᵀ + b_ih + b_hh (the biases folded into the projection) + h·W_hhᵀ. (tfjs-wasm's
            // fused matMul would save the add but takes only a rank-1 bias.)
            const [i, f, g, o] = tf.split(tf.add(xt, tf.matMul(prevH, wHhT)), 4, 1);
            cNew = tf.add(tf.mul(fA(f), prevC as tf.Tensor), tf.mul(fA(i), fB(g))) as tf.Tensor2D;
            hNew = tf.mul(fA(o), fC(cNew)) as tf.Tensor2D;
          } else if (attrs.kind === 'gru') {
            let hw = tf.matMul(prevH, wHhT);
            if (bHh) hw = tf.add(hw, bHh);
            const [xr, xz, xn] = tf.split(xt, 3, 1);
            const [hr, hz, hn] = tf.split(hw, 3, 1);
            const r = fA(tf.add(xr, hr));
            const z = fA(tf.add(xz, hz));
            const n = fB(tf.add(xn, tf.mul(r, hn)));
            hNew = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, prevH)) as tf.Tensor2D;
          } else {
            hNew = fA(tf.add(xt, tf.matMul(prevH, wHhT))) as tf.Tensor2D;
          }
          if (!lengths) return { y: hNew, h: hNew, c: cNew };
          const running = tf.tensor2d(
            lens.map((len) => (s < len ? 1 : 0)),
            [B, 1],
            'bool',
          );
          return {
            y: tf.where(running, hNew, tf.zerosLike(hNew)) as tf.Tensor2D,
            h: tf.where(running, hNew, prevH) as tf.Tensor2D,
            c: cNew && prevC ? (tf.where(running, cNew, prevC) as tf.Tensor2D) : undefined,
          };
        });
        ys.push(step.y);
        h = step.h;
        c = step.c;
        // Free the previous state unless it is also a kept output (without lengths, h is y).
        if (s > 0) {
          if (lengths) prevH.dispose();
          prevC?.dispose();
        }
      }
      // ys[s] is processing step s; put each sequence's steps back in time order.
      let y: tf.Tensor;
      if (!lengths && !attrs.reverse) y = tf.stack(ys, 1);
      else {
        const steps = tf.reshape(tf.stack(ys, 1), [B * Tn, H]);
        const index: number[] = [];
        lens.forEach((len, b) => {
          for (let t = 0; t < Tn; t++) index.push(b * Tn + (t < len ? (attrs.reverse ? len - 1 - t : t) : 0));
        });
        const valid = tf.tensor2d(
          lens.flatMap((len) => Array.from({ length: Tn }, (_, t) => (t < len ? 1 : 0))),
          [B * Tn, 1],
          'bool',
        );
        const picked = tf.gather(steps, tf.tensor1d(index, 'int32'));
        y = tf.reshape(tf.where(valid, picked, tf.zerosLike(picked)), [B, Tn, H]);
      }
      return { y, h: tf.clone(h), c: c ? tf.clone(c) : undefined };
    });
    const dtype = inputs.x.dtype;
    return {
      y: { data: out.y, shape: [...out.y.shape], dtype },
      hN: { data: out.h, shape: [...out.h.shape], dtype },
      cN: out.c ? { data: out.c, shape: [...out.c.shape], dtype } : undefined,
      workspace: { data: tf.zeros([0]), shape: [0], dtype: 'float32' },
    };
  },
};
