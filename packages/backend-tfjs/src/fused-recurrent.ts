import type {
  FusedKernels,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentOutputs,
} from '@recur/backend-api';
import * as tf from '@tensorflow/tfjs-core';
import { StepSchedule } from './step-schedule';

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

/** What backward needs from one processing step (all [active rows, ·] tensors). */
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

/**
 * The whole sequence in one tidy: the input projection of every step is one matMul (both biases
 * folded in where they sit outside a gate product), then each step is one matMul per gate and a
 * handful of elementwise ops. With a gradient to take it saves each step's gates for `recurrentBackward`.
 */
export const tfjsFusedKernels: Partial<FusedKernels> = {
  supportsRecurrent(attrs: RecurrentAttrs): boolean {
    const forwardOnly = attrs.activations.every((a) => a in ACT);
    return (
      !attrs.packedInput && // layers unpack a PackedSequence around this kernel
      attrs.projSize === 0 &&
      (attrs.kind !== 'gru' || attrs.linearBeforeReset) &&
      (attrs.saveForBackward === false ? forwardOnly : standardActivations(attrs))
    );
  },

  recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
    if (attrs.packedInput) throw new Error('backend-tfjs: the recurrent kernel takes padded input, not packed');
    const [B, Tn, I] = inputs.x.shape;
    const save = attrs.saveForBackward ?? true;
    const [fA, fB, fC] = attrs.activations.map((a) => ACT[a]);
    const lengths = inputs.seqLengths ? Array.from(T(inputs.seqLengths)?.dataSync() as Int32Array) : null;
    const schedule = new StepSchedule(B, Tn, lengths, attrs.reverse);
    const out = tf.tidy(() => {
      const { gates, wIhT, bias, wHhT, bHn } = forwardWeights(inputs, attrs);
      // Only the rows the steps run are projected (padding costs nothing), step-major.
      let xw = tf.matMul(schedule.gatherSteps(tf.reshape(T(inputs.x) as tf.Tensor, [B * Tn, I])), wIhT);
      if (bias) xw = tf.add(xw, bias);
      const stepInput = schedule.stepBlocks(xw, gates);
      // State in length order, holding only the rows still running: when rows reach their
      // sequence's end their final state is set aside (`ended`), once, not masked every step.
      let h = schedule.sort(T(inputs.h0) as tf.Tensor2D);
      let c = T(inputs.c0) ? schedule.sort(T(inputs.c0) as tf.Tensor2D) : undefined;
      const endedH: tf.Tensor2D[] = [];
      const endedC: tf.Tensor2D[] = [];
      const ys: tf.Tensor2D[] = [];
      const saved: StepSave[] = [];
      for (let s = 0; s < schedule.steps; s++) {
        const n = schedule.active(s);
        if (n < h.shape[0]) {
          [h, c] = [h, c].map((state, k) => {
            if (!state) return state;
            (k ? endedC : endedH).push(tf.slice(state, [n, 0], [-1, -1]));
            return tf.slice(state, [0, 0], [n, -1]);
          }) as [tf.Tensor2D, tf.Tensor2D | undefined];
        }
        // One tidy per step keeps only the new state, output and saved gates alive.
        const prevH = h;
        const prevC = c;
        const step = tf.tidy(() => {
          const hA = prevH;
          const product = (g: number) => tf.matMul(hA, wHhT[g]);
          const pre = (g: number) => tf.add(stepInput(s, g), product(g));
          let hNew: tf.Tensor2D;
          let cNew: tf.Tensor2D | undefined;
          let keep: StepSave | undefined;
          if (attrs.kind === 'lstm') {
            const cA = prevC as tf.Tensor2D;
            const [i, f, g, o] = [fA(pre(0)), fA(pre(1)), fB(pre(2)), fA(pre(3))] as tf.Tensor2D[];
            cNew = tf.add(tf.mul(f, cA), tf.mul(i, g)) as tf.Tensor2D;
            const ac = fC(cNew) as tf.Tensor2D;
            hNew = tf.mul(o, ac) as tf.Tensor2D;
            if (save) keep = { gates: [i, f, g, o], ac, hPrev: tf.clone(hA), cPrev: tf.clone(cA) };
          } else if (attrs.kind === 'gru') {
            const r = fA(pre(0)) as tf.Tensor2D;
            const z = fA(pre(1)) as tf.Tensor2D;
            // n = act(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)): b_hn inside the reset gate's product.
            const hn = (bHn ? tf.add(product(2), bHn) : product(2)) as tf.Tensor2D;
            const nGate = fB(tf.add(stepInput(s, 2), tf.mul(r, hn))) as tf.Tensor2D;
            hNew = tf.add(tf.mul(tf.sub(1, z), nGate), tf.mul(z, hA)) as tf.Tensor2D;
            if (save) keep = { gates: [r, z, nGate], hn, hPrev: tf.clone(hA) };
          } else {
            hNew = fA(pre(0)) as tf.Tensor2D;
            if (save) keep = { gates: [hNew], hPrev: tf.clone(hA) };
          }
          return { h: hNew, c: cNew, keep };
        });
        // h is also the step's output, kept to the end; the previous c is not needed any more.
        ys.push(step.h);
        if (step.keep) saved.push(step.keep);
        h = step.h;
        c = step.c;
        if (s > 0) prevC?.dispose();
      }
      // Final states: the rows that ran to the last step, then those that ended earlier (later ends first).
      const final = (last: tf.Tensor2D, ended: tf.Tensor2D[]) =>
        schedule.unsort(ended.length ? tf.concat([last, ...ended.reverse()]) : tf.clone(last));
      const y = ys.length ? schedule.stack(ys) : tf.zeros([B, Tn, h.shape[1]]);
      return { y, h: final(h, endedH), c: c ? final(c, endedC) : undefined, saved };
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
    const schedule = new StepSchedule(B, Tn, lengths, attrs.reverse);
    const g = tf.tidy(() => {
      const wHh = T(inputs.wHh) as tf.Tensor2D;
      const wIh = T(inputs.wIh) as tf.Tensor2D;
      // The forward's schedule, backwards: state gradients in length order, holding only the rows
      // running at the step; rows that ended earlier wait aside (`waiting`), their gradient passing
      // through unchanged until the step where they last ran comes up.
      const stepDy = schedule.stepBlocks(schedule.gatherSteps(tf.reshape(T(dy) as tf.Tensor, [B * Tn, H])));
      let dh = schedule.sort(T(dhN) as tf.Tensor2D);
      let dc: tf.Tensor2D | undefined = lstm
        ? schedule.sort((T(dcN) as tf.Tensor2D | undefined) ?? (tf.zeros([B, H]) as tf.Tensor2D))
        : undefined;
      let waiting: { dh: tf.Tensor2D; dc?: tf.Tensor2D } | null = null;
      const regroup = (n: number) => {
        const top = (t: tf.Tensor2D) => tf.slice(t, [0, 0], [n, -1]) as tf.Tensor2D;
        const rest = (t: tf.Tensor2D) => tf.slice(t, [n, 0], [-1, -1]) as tf.Tensor2D;
        const allDh = waiting ? (tf.concat([dh, waiting.dh]) as tf.Tensor2D) : dh;
        const allDc = dc && waiting?.dc ? (tf.concat([dc, waiting.dc]) as tf.Tensor2D) : dc;
        waiting = n < B ? { dh: rest(allDh), dc: allDc && rest(allDc) } : null;
        dh = n < B ? top(allDh) : allDh;
        dc = allDc && n < B ? top(allDc) : allDc;
      };
      const steps = schedule.steps;
      const dGs: tf.Tensor2D[] = new Array(steps);
      const dAs: tf.Tensor2D[] = new Array(steps);
      const oneMinus = (t: tf.Tensor) => tf.sub(1, t);
      for (let s = steps - 1; s >= 0; s--) {
        const st = ws.steps[s];
        if (schedule.active(s) !== dh.shape[0]) regroup(schedule.active(s));
        const prevDh = dh;
        const prevDc = dc;
        const r = tf.tidy(() => {
          const dhT = tf.add(prevDh, stepDy(s)) as tf.Tensor2D;
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
            const [rg, z, nGate] = st.gates;
            const dan = tf.mul(tf.mul(dhT, oneMinus(z)), oneMinus(tf.square(nGate)));
            const daz = tf.mul(tf.mul(dhT, tf.sub(st.hPrev, nGate)), tf.mul(z, oneMinus(z)));
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
          return { dG, dA, dh: dhPrev, dc: dcNext };
        });
        dGs[s] = r.dG;
        dAs[s] = r.dA;
        dh = r.dh;
        dc = r.dc;
        if (s < steps - 1) {
          prevDh.dispose();
          prevDc?.dispose();
        }
      }
      if (dh.shape[0] < B) regroup(B);
      if (!steps) {
        // No row ran a step: the input and the weights got no gradient.
        return {
          dx: tf.zeros([B, Tn, I]),
          dh0: tf.clone(schedule.unsort(dh)),
          dc0: dc ? tf.clone(schedule.unsort(dc)) : undefined,
          dWIh: tf.zerosLike(wIh),
          dWHh: tf.zerosLike(wHh),
          dBIh: tf.zeros([wIh.shape[0]]),
          dBHh: tf.zeros([wHh.shape[0]]),
        };
      }
      // Weight gradients over every step at once, rows in processing order (step-major), real tokens only.
      const dG = tf.concat(dGs, 0);
      const dA = gru ? tf.concat(dAs, 0) : dG;
      const hPrev = tf.concat(
        ws.steps.map((s) => s.hPrev),
        0,
      );
      const xSteps = schedule.gatherSteps(tf.reshape(T(inputs.x) as tf.Tensor, [B * Tn, I]));
      const dx = schedule.toTimeOrder(tf.matMul(dA, wIh) as tf.Tensor2D);
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
        dh0: tf.clone(schedule.unsort(dh)),
        dc0: dc ? tf.clone(schedule.unsort(dc)) : undefined,
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
