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

/** The inverse: processing-order steps back to time order, zeros at padding. */
function toTimeOrder(steps3: tf.Tensor, lens: number[] | null, reverse: boolean): tf.Tensor {
  if (!lens && !reverse) return steps3;
  const [B, Tn, W] = steps3.shape;
  const L = lens ?? new Array(B).fill(Tn);
  const index: number[] = [];
  L.forEach((len, b) => {
    for (let t = 0; t < Tn; t++) index.push(b * Tn + (t < len ? (reverse ? len - 1 - t : t) : 0));
  });
  const valid = tf.tensor2d(
    L.flatMap((len) => Array.from({ length: Tn }, (_, t) => (t < len ? 1 : 0))),
    [B * Tn, 1],
    'bool',
  );
  const picked = tf.gather(tf.reshape(steps3, [B * Tn, W]), tf.tensor1d(index, 'int32'));
  return tf.reshape(tf.where(valid, picked, tf.zerosLike(picked)), [B, Tn, W]);
}

/**
 * A [B, T, W] tensor downloaded once in time-major processing order; step s's [B, W] rows are
 * made from a subarray. On tfjs-wasm every slice of a large tensor costs a pass over all of it,
 * which made a per-step slice quadratic in T.
 */
function stepsOf(t3: tf.Tensor, lens: number[] | null, reverse: boolean): (s: number) => tf.Tensor2D {
  const [B, , W] = t3.shape;
  const data = tf.tidy(() => tf.transpose(toProcessingOrder(t3, lens, reverse), [1, 0, 2])).dataSync() as Float32Array;
  return (s) => tf.tensor2d(data.subarray(s * B * W, (s + 1) * B * W), [B, W]);
}

/** Whether each row is still inside its sequence at processing step s ([B, 1] bool), or null without lengths. */
function runningAt(lens: number[] | null, s: number): tf.Tensor2D | null {
  return lens
    ? tf.tensor2d(
        lens.map((len) => (s < len ? 1 : 0)),
        [lens.length, 1],
        'bool',
      )
    : null;
}

/**
 * The whole sequence in one tidy: the input projection of every step is one matMul (both biases
 * folded in where they sit outside a gate product), then each step is one matMul and a handful
 * of elementwise ops. With a gradient to take it saves each step's gates for `recurrentBackward`.
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
    const [B, Tn, I] = inputs.x.shape;
    const save = attrs.saveForBackward ?? true;
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
      const bHh = T(inputs.bHh);
      if (bHh && attrs.kind !== 'gru') xw = tf.add(xw, bHh);
      const stepInput = stepsOf(tf.reshape(xw, [B, Tn, -1]), lengths, attrs.reverse);
      const wHhT = tf.transpose(T(inputs.wHh) as tf.Tensor2D) as tf.Tensor2D;
      let h = T(inputs.h0) as tf.Tensor2D;
      let c = T(inputs.c0) as tf.Tensor2D | undefined;
      const ys: tf.Tensor2D[] = [];
      const saved: StepSave[] = [];
      for (let s = 0; s < Tn; s++) {
        // One tidy per step keeps only the new state, output and saved gates alive.
        const prevH = h;
        const prevC = c;
        const step = tf.tidy(() => {
          const xt = stepInput(s);
          let hNew: tf.Tensor2D;
          let cNew: tf.Tensor2D | undefined;
          let keep: StepSave | undefined;
          if (attrs.kind === 'lstm') {
            // x·W_ihᵀ + b_ih + b_hh (folded into the projection) + h·W_hhᵀ. (tfjs-wasm's fused
            // matMul would save the add but takes only a rank-1 bias.)
            const [zi, zf, zg, zo] = tf.split(tf.add(xt, tf.matMul(prevH, wHhT)), 4, 1);
            const [i, f, g, o] = [fA(zi), fA(zf), fB(zg), fA(zo)] as tf.Tensor2D[];
            cNew = tf.add(tf.mul(f, prevC as tf.Tensor), tf.mul(i, g)) as tf.Tensor2D;
            const ac = fC(cNew) as tf.Tensor2D;
            hNew = tf.mul(o, ac) as tf.Tensor2D;
            if (save) keep = { gates: [i, f, g, o], ac, hPrev: tf.clone(prevH), cPrev: tf.clone(prevC as tf.Tensor2D) };
          } else if (attrs.kind === 'gru') {
            let hw = tf.matMul(prevH, wHhT);
            if (bHh) hw = tf.add(hw, bHh);
            const [xr, xz, xn] = tf.split(xt, 3, 1);
            const [hr, hz, hn] = tf.split(hw, 3, 1) as tf.Tensor2D[];
            const r = fA(tf.add(xr, hr)) as tf.Tensor2D;
            const z = fA(tf.add(xz, hz)) as tf.Tensor2D;
            const n = fB(tf.add(xn, tf.mul(r, hn))) as tf.Tensor2D;
            hNew = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, prevH)) as tf.Tensor2D;
            if (save) keep = { gates: [r, z, n], hn, hPrev: tf.clone(prevH) };
          } else {
            hNew = fA(tf.add(xt, tf.matMul(prevH, wHhT))) as tf.Tensor2D;
            if (save) keep = { gates: [hNew], hPrev: tf.clone(prevH) };
          }
          const running = runningAt(lengths, s);
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
          const running = runningAt(lengths, s);
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
          const maskedG = tf.where(running, dG, zero) as tf.Tensor2D;
          return {
            dG: maskedG,
            // LSTM and RNN: the input side sees the same gradients; only GRU's differ.
            dA: gru ? (tf.where(running, dA, zero) as tf.Tensor2D) : maskedG,
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
      return {
        dx,
        dh0: tf.clone(dh),
        dc0: dc ? tf.clone(dc) : undefined,
        // An explicit transpose first: tfjs-wasm's matMul with transposeA is about 25× slower.
        dWIh: tf.matMul(tf.transpose(dA), xSteps),
        dWHh: tf.matMul(tf.transpose(dG), hPrev),
        dBIh: tf.sum(dA, 0),
        dBHh: tf.sum(dG, 0),
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
