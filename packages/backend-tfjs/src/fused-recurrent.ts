import type {
  FusedKernels,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentOutputs,
} from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';

const T = (x: { data: unknown } | undefined) => x?.data as tf.Tensor | undefined;

/**
 * tanh x = 2σ(2x) − 1. tfjs-wasm's Tanh kernel takes about ten times as long per element as its
 * Sigmoid (27 ms of a 180 ms LSTM forward), so on wasm tanh goes through sigmoid.
 */
const tanh = (x: tf.Tensor): tf.Tensor =>
  tf.getBackend() === 'wasm' ? tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) : tf.tanh(x);

const ACT: Record<string, (x: tf.Tensor) => tf.Tensor> = { sigmoid: tf.sigmoid, tanh, relu: tf.relu };

/**
 * The weights as the forward uses them. The input projection of every step and gate is one
 * matMul (x·W_ihᵀ, with b_ih and b_hh folded in except GRU's b_hn, which sits inside the reset
 * gate's product); the recurrent weights are one [H, H] block per gate, transposed once here
 * (tfjs-wasm re-transposes a transposeB operand on every call). One product per gate and step,
 * because splitting a step's [B, G·H] product costs tfjs-wasm more than computing it (its SplitV
 * took 0.4 ms a step at B32 H256, a quarter of the whole forward).
 */
function forwardWeights(inputs: RecurrentInputs, attrs: RecurrentAttrs) {
  const gates = attrs.kind === 'lstm' ? 4 : attrs.kind === 'gru' ? 3 : 1;
  const H = attrs.hiddenSize;
  const bIh = T(inputs.bIh);
  const bHh = T(inputs.bHh);
  const bHn = bHh && attrs.kind === 'gru' ? tf.slice(bHh, [2 * H], [H]) : undefined;
  const folded = bHn ? tf.concat([tf.slice(bHh as tf.Tensor, [0], [2 * H]), tf.zerosLike(bHn)]) : bHh;
  const bias = bIh && folded ? tf.add(bIh, folded) : (bIh ?? folded);
  const wHh = T(inputs.wHh) as tf.Tensor2D;
  return {
    gates,
    wIhT: tf.transpose(T(inputs.wIh) as tf.Tensor2D) as tf.Tensor2D,
    bias,
    wHhT: (gates === 1 ? [wHh] : tf.split(wHh, gates, 0)).map((w) => tf.transpose(w) as tf.Tensor2D),
    bHn,
  };
}

/** Activations whose derivatives the fused backward writes out (the defaults of each cell). */
function standardActivations(attrs: RecurrentAttrs): boolean {
  const want =
    attrs.kind === 'rnn' ? ['tanh'] : attrs.kind === 'lstm' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'];
  return attrs.activations.join() === want.join();
}

/** What backward needs from one processing step (all [B, ·] tensors). */
type StepSave = {
  /** Activated gates: LSTM i f g o, GRU r z n, RNN h. */
  gates: tf.Tensor2D[];
  hPrev: tf.Tensor2D;
  cPrev?: tf.Tensor2D;
  /** LSTM tanh(c). */
  ac?: tf.Tensor2D;
  /** GRU W_hn·h + b_hn. */
  hn?: tf.Tensor2D;
};

/** The forward's saved steps; recur disposes it like a tensor once backward is done. */
class Workspace {
  constructor(readonly steps: StepSave[]) {}
  dispose(): void {
    for (const s of this.steps) {
      tf.dispose([...s.gates, s.hPrev, ...[s.cPrev, s.ac, s.hn].filter((t): t is tf.Tensor2D => !!t)]);
    }
  }
}

/** Rows of [B, T, W] rearranged so that step s of row b is the time step processed s-th (reverse: from each end). */
function toProcessingOrder(t3: tf.Tensor, lens: number[] | null, reverse: boolean): tf.Tensor {
  if (!reverse) return t3;
  if (!lens) return tf.reverse(t3, 1);
  const [B, Tn, W] = t3.shape;
  const rows = lens.flatMap((len, b) => Array.from({ length: Tn }, (_, s) => b * Tn + Math.max(len - 1 - s, 0)));
  return tf.reshape(tf.gather(tf.reshape(t3, [B * Tn, W]), tf.tensor1d(rows, 'int32')), [B, Tn, W]);
}

/**
 * The inverse: processing-order steps back to time order, zeros at padding. Forward steps are
 * already in time order with zeros past each length (the kernels write zeros there), so only a
 * reverse direction with lengths needs a gather.
 */
function toTimeOrder(steps3: tf.Tensor, lens: number[] | null, reverse: boolean): tf.Tensor {
  if (!reverse) return steps3;
  if (!lens) return tf.reverse(steps3, 1);
  const [B, Tn, W] = steps3.shape;
  const index: number[] = [];
  lens.forEach((len, b) => {
    for (let t = 0; t < Tn; t++) index.push(b * Tn + (t < len ? len - 1 - t : 0));
  });
  const picked = tf.gather(tf.reshape(steps3, [B * Tn, W]), tf.tensor1d(index, 'int32'));
  const valid = rowMask(
    lens.flatMap((len) => Array.from({ length: Tn }, (_, t) => t < len)),
    W,
  );
  return tf.reshape(tf.where(valid, picked, tf.zerosLike(picked)), [B, Tn, W]);
}

/**
 * A [rows, width] bool mask, each row all `keep[row]`. Built whole rather than broadcast from
 * [rows, 1]: tfjs' where tiles a narrower condition, and tfjs-wasm's Tile took 1 ms a step.
 */
function rowMask(keep: boolean[], width: number): tf.Tensor2D {
  const data = new Uint8Array(keep.length * width);
  keep.forEach((k, r) => {
    if (k) data.fill(1, r * width, (r + 1) * width);
  });
  return tf.tensor2d(data, [keep.length, width], 'bool');
}

/**
 * A [B, T, W] tensor downloaded once in time-major processing order; step s's [B, W / parts]
 * block of part p (a gate's columns) is made from a subarray. On tfjs-wasm every slice of a large
 * tensor costs a pass over all of it, which made a per-step slice quadratic in T.
 */
function stepsOf(t3: tf.Tensor, lens: number[] | null, reverse: boolean, parts = 1) {
  const [B, Tn, W] = t3.shape;
  const w = W / parts;
  const data = tf
    .tidy(() => tf.transpose(tf.reshape(toProcessingOrder(t3, lens, reverse), [B, Tn, parts, w]), [1, 2, 0, 3]))
    .dataSync() as Float32Array;
  return (s: number, part = 0): tf.Tensor2D => {
    const at = (s * parts + part) * B * w;
    return tf.tensor2d(data.subarray(at, at + B * w), [B, w]);
  };
}

/** Whether each row is still inside its sequence at processing step s ([B, width] bool), or null without lengths. */
function runningAt(lens: number[] | null, s: number, width: number): tf.Tensor2D | null {
  return lens
    ? rowMask(
        lens.map((len) => s < len),
        width,
      )
    : null;
}

/**
 * The whole sequence in one tidy: the input projection of every step is one matMul (both biases
 * folded in where they sit outside a gate product), then each step is one matMul per gate and a
 * handful of elementwise ops. With a gradient to take it saves each step's gates for `recurrentBackward`.
 */
export const tfjsFusedKernels: Partial<FusedKernels> = {
  supportsRecurrent(attrs: RecurrentAttrs): boolean {
    const forwardOnly = attrs.activations.every((a) => a in ACT);
    return (
      attrs.projSize === 0 &&
      (attrs.kind !== 'gru' || attrs.linearBeforeReset) &&
      (attrs.saveForBackward === false ? forwardOnly : standardActivations(attrs))
    );
  },

  recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
    const Tn = inputs.x.shape[1];
    const save = attrs.saveForBackward ?? true;
    const [fA, fB, fC] = attrs.activations.map((a) => ACT[a]);
    const lengths = inputs.seqLengths ? Array.from(T(inputs.seqLengths)?.dataSync() as Int32Array) : null;
    const out = tf.tidy(() => {
      const { gates, wIhT, bias, wHhT, bHn } = forwardWeights(inputs, attrs);
      const [B, , I] = inputs.x.shape;
      let xw = tf.matMul(tf.reshape(T(inputs.x) as tf.Tensor, [B * Tn, I]), wIhT);
      if (bias) xw = tf.add(xw, bias);
      const stepInput = stepsOf(tf.reshape(xw, [B, Tn, -1]), lengths, attrs.reverse, gates);
      let h = T(inputs.h0) as tf.Tensor2D;
      let c = T(inputs.c0) as tf.Tensor2D | undefined;
      const ys: tf.Tensor2D[] = [];
      const saved: StepSave[] = [];
      for (let s = 0; s < Tn; s++) {
        // One tidy per step keeps only the new state, output and saved gates alive.
        const prevH = h;
        const prevC = c;
        const step = tf.tidy(() => {
          const product = (g: number) => tf.matMul(prevH, wHhT[g]);
          const pre = (g: number) => tf.add(stepInput(s, g), product(g));
          let hNew: tf.Tensor2D;
          let cNew: tf.Tensor2D | undefined;
          let keep: StepSave | undefined;
          if (attrs.kind === 'lstm') {
            const [i, f, g, o] = [fA(pre(0)), fA(pre(1)), fB(pre(2)), fA(pre(3))] as tf.Tensor2D[];
            cNew = tf.add(tf.mul(f, prevC as tf.Tensor), tf.mul(i, g)) as tf.Tensor2D;
            const ac = fC(cNew) as tf.Tensor2D;
            hNew = tf.mul(o, ac) as tf.Tensor2D;
            if (save) keep = { gates: [i, f, g, o], ac, hPrev: tf.clone(prevH), cPrev: tf.clone(prevC as tf.Tensor2D) };
          } else if (attrs.kind === 'gru') {
            const r = fA(pre(0)) as tf.Tensor2D;
            const z = fA(pre(1)) as tf.Tensor2D;
            // n = act(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)): b_hn inside the reset gate's product.
            const hn = (bHn ? tf.add(product(2), bHn) : product(2)) as tf.Tensor2D;
            const n = fB(tf.add(stepInput(s, 2), tf.mul(r, hn))) as tf.Tensor2D;
            hNew = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, prevH)) as tf.Tensor2D;
            if (save) keep = { gates: [r, z, n], hn, hPrev: tf.clone(prevH) };
          } else {
            hNew = fA(pre(0)) as tf.Tensor2D;
            if (save) keep = { gates: [hNew], hPrev: tf.clone(prevH) };
          }
          const running = runningAt(lengths, s, hNew.shape[1]);
          if (!running) return { y: hNew, h: hNew, c: cNew, keep };
          return {
            y: tf.where(running, hNew, tf.zerosLike(hNew)) as tf.Tensor2D,
            h: tf.where(running, hNew, prevH) as tf.Tensor2D,
            c: cNew && prevC ? (tf.where(running, cNew, prevC) as tf.Tensor2D) : undefined,
            keep,
          };
        });
        ys.push(step.y);
        if (step.keep) saved.push(step.keep);
        h = step.h;
        c = step.c;
        // Free the previous state unless it is also a kept output (without lengths, h is y).
        if (s > 0) {
          if (lengths) prevH.dispose();
          prevC?.dispose();
        }
      }
      // ys[s] is processing step s; put each sequence's steps back in time order.
      const y = toTimeOrder(tf.stack(ys, 1), lengths, attrs.reverse);
      return { y, h: tf.clone(h), c: c ? tf.clone(c) : undefined, saved };
    });
    const dtype = inputs.x.dtype;
    return {
      y: { data: out.y, shape: [...out.y.shape], dtype },
      hN: { data: out.h, shape: [...out.h.shape], dtype },
      cN: out.c ? { data: out.c, shape: [...out.c.shape], dtype } : undefined,
      workspace: { data: new Workspace(out.saved), shape: [out.saved.length], dtype: 'float32' },
    };
  },

  /**
   * Backpropagation through time from the saved steps, in one tidy: per step the gate gradients
   * and one matMul (dh_prev = dG·W_hh); the weight gradients are single products over all steps.
   */
  recurrentBackward(inputs, attrs, outputs, dy, dhN, dcN): RecurrentGrads {
    const ws = outputs.workspace.data as Workspace;
    const [B, Tn, I] = inputs.x.shape;
    const H = attrs.hiddenSize;
    const lstm = attrs.kind === 'lstm';
    const gru = attrs.kind === 'gru';
    const lengths = inputs.seqLengths ? Array.from(T(inputs.seqLengths)?.dataSync() as Int32Array) : null;
    const g = tf.tidy(() => {
      const wHh = T(inputs.wHh) as tf.Tensor2D;
      const wIh = T(inputs.wIh) as tf.Tensor2D;
      const stepDy = stepsOf(T(dy) as tf.Tensor, lengths, attrs.reverse);
      let dh = T(dhN) as tf.Tensor2D;
      let dc = lstm ? ((T(dcN) as tf.Tensor2D | undefined) ?? tf.zeros([B, H])) : undefined;
      const dGs: tf.Tensor2D[] = new Array(Tn);
      const dAs: tf.Tensor2D[] = new Array(Tn);
      const oneMinus = (t: tf.Tensor) => tf.sub(1, t);
      for (let s = Tn - 1; s >= 0; s--) {
        const st = ws.steps[s];
        const prevDh = dh;
        const prevDc = dc;
        const r = tf.tidy(() => {
          const running = runningAt(lengths, s, H);
          const dyS = stepDy(s);
          const dhT = tf.add(prevDh, running ? tf.where(running, dyS, tf.zerosLike(dyS)) : dyS) as tf.Tensor2D;
          let dG: tf.Tensor2D;
          let dA: tf.Tensor2D;
          let dcNext: tf.Tensor2D | undefined;
          let around: tf.Tensor2D | undefined; // dh_prev's path that skips the product (GRU: dh ⊙ z)
          if (lstm) {
            const [i, f, gg, o] = st.gates;
            const ac = st.ac as tf.Tensor2D;
            const dcTot = tf.add(prevDc as tf.Tensor2D, tf.mul(tf.mul(dhT, o), oneMinus(tf.square(ac))));
            dG = tf.concat(
              [
                tf.mul(tf.mul(dcTot, gg), tf.mul(i, oneMinus(i))),
                tf.mul(tf.mul(dcTot, st.cPrev as tf.Tensor2D), tf.mul(f, oneMinus(f))),
                tf.mul(tf.mul(dcTot, i), oneMinus(tf.square(gg))),
                tf.mul(tf.mul(dhT, ac), tf.mul(o, oneMinus(o))),
              ],
              1,
            ) as tf.Tensor2D;
            dA = dG;
            dcNext = tf.mul(dcTot, f) as tf.Tensor2D;
          } else if (gru) {
            const [rg, z, n] = st.gates;
            const dan = tf.mul(tf.mul(dhT, oneMinus(z)), oneMinus(tf.square(n)));
            const daz = tf.mul(tf.mul(dhT, tf.sub(st.hPrev, n)), tf.mul(z, oneMinus(z)));
            const dar = tf.mul(tf.mul(dan, st.hn as tf.Tensor2D), tf.mul(rg, oneMinus(rg)));
            dG = tf.concat([dar, daz, tf.mul(dan, rg)], 1) as tf.Tensor2D;
            dA = tf.concat([dar, daz, dan], 1) as tf.Tensor2D;
            around = tf.mul(dhT, z) as tf.Tensor2D;
          } else {
            dG = tf.mul(dhT, oneMinus(tf.square(st.gates[0]))) as tf.Tensor2D;
            dA = dG;
          }
          let dhPrev = tf.matMul(dG, wHh) as tf.Tensor2D;
          if (around) dhPrev = tf.add(dhPrev, around) as tf.Tensor2D;
          if (!running) return { dG, dA, dh: dhPrev, dc: dcNext };
          // Past a sequence's end its state is carried unchanged: the gradient passes straight through.
          const zero = tf.zerosLike(dG);
          const runningG = runningAt(lengths, s, dG.shape[1]) as tf.Tensor2D;
          const maskedG = tf.where(runningG, dG, zero) as tf.Tensor2D;
          return {
            dG: maskedG,
            // LSTM and RNN: the input side sees the same gradients; only GRU's differ.
            dA: gru ? (tf.where(runningG, dA, zero) as tf.Tensor2D) : maskedG,
            dh: tf.where(running, dhPrev, dhT) as tf.Tensor2D,
            dc: dcNext ? (tf.where(running, dcNext, prevDc as tf.Tensor2D) as tf.Tensor2D) : undefined,
          };
        });
        dGs[s] = r.dG;
        dAs[s] = r.dA;
        dh = r.dh;
        dc = r.dc;
        if (s < Tn - 1) {
          prevDh.dispose();
          prevDc?.dispose();
        }
      }
      // Weight gradients over every step at once, rows in processing order (step-major).
      const dG = tf.concat(dGs, 0);
      const dA = gru ? tf.concat(dAs, 0) : dG;
      const hPrev = tf.concat(
        ws.steps.map((s) => s.hPrev),
        0,
      );
      const xSteps = tf.reshape(
        tf.transpose(toProcessingOrder(T(inputs.x) as tf.Tensor, lengths, attrs.reverse), [1, 0, 2]),
        [Tn * B, I],
      );
      const dx = toTimeOrder(
        tf.transpose(tf.reshape(tf.matMul(dA, wIh), [Tn, B, I]), [1, 0, 2]),
        lengths,
        attrs.reverse,
      );
      // dW = dGᵀ·h as (hᵀ·dG)ᵀ: the transposes fall on the narrow operands ([T·B, I or H] and the
      // result) instead of the [T·B, G·H] gradients (tfjs-wasm transposes at ~8 ns an element and
      // its matMul with transposeA is ~25× slower still). A column of ones under h adds a row to the
      // product that is the bias gradient (tfjs-wasm sums over axis 0 by transposing first).
      const gradsOf = (d: tf.Tensor2D, by: tf.Tensor2D) => {
        const k = by.shape[1];
        const product = tf.matMul(tf.transpose(tf.concat([by, tf.ones([by.shape[0], 1])], 1)), d);
        return {
          dW: tf.transpose(tf.slice(product, [0, 0], [k, -1])),
          dB: tf.reshape(tf.slice(product, [k, 0], [1, -1]), [-1]),
        };
      };
      const input = gradsOf(dA as tf.Tensor2D, xSteps as tf.Tensor2D);
      const recurrent = gradsOf(dG as tf.Tensor2D, hPrev as tf.Tensor2D);
      return {
        dx,
        dh0: tf.clone(dh),
        dc0: dc ? tf.clone(dc) : undefined,
        dWIh: input.dW,
        dWHh: recurrent.dW,
        dBIh: input.dB,
        dBHh: recurrent.dB,
      };
    });
    const dtype = inputs.x.dtype;
    const wrap = (t: tf.Tensor) => ({ data: t, shape: [...t.shape], dtype });
    const drop = (t: tf.Tensor, wanted: unknown) => {
      if (wanted) return wrap(t);
      t.dispose();
      return undefined;
    };
    return {
      dx: wrap(g.dx),
      dh0: wrap(g.dh0),
      dc0: g.dc0 ? drop(g.dc0, inputs.c0) : undefined,
      dWIh: wrap(g.dWIh),
      dWHh: wrap(g.dWHh),
      dBIh: drop(g.dBIh, inputs.bIh),
      dBHh: drop(g.dBHh, inputs.bHh),
    };
  },
};
