import { type ActivationName, isFloatDType, type RecurrentKind } from '@recur/backend-api';
import { onnxToTorch, runRecurrent } from '@recur/layers';
import { FormatError, formatShape, ShapeError, UnsupportedError, ValueError } from '@recur/tensor';
import { floats, input, int, type OpContext, type OpImpl, optionalNum, str, strs, values } from './op';
import {
  abs,
  add,
  div,
  exp,
  gather,
  greater,
  log,
  matMul,
  maximum,
  minimum,
  mul,
  reshape,
  sigmoid,
  slice,
  split,
  squeeze,
  stack,
  sub,
  swapAxes,
  type Tensor,
  tanh,
  tensor,
  unsqueeze,
  where,
  zeros,
} from './tensor-ops';

/** ONNX activation functions by name, with their alpha / beta (defaults from the operator spec). */
function activationFn(name: string, alpha?: number, beta?: number): (x: Tensor) => Tensor {
  switch (name.toLowerCase()) {
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return tanh;
    case 'relu':
      return (x) => maximum(x, 0);
    case 'affine':
      return (x) => add(mul(x, alpha ?? 1), beta ?? 0);
    case 'leakyrelu':
      return (x) => where(greater(x, 0), x, mul(x, alpha ?? 0.01));
    case 'thresholdedrelu':
      return (x) => where(greater(x, alpha ?? 1), x, 0);
    case 'scaledtanh':
      return (x) => mul(tanh(mul(x, beta ?? 1)), alpha ?? 1);
    case 'hardsigmoid':
      return (x) => maximum(minimum(add(mul(x, alpha ?? 0.2), beta ?? 0.5), 1), 0);
    case 'elu':
      return (x) => where(greater(x, 0), x, mul(sub(exp(x), 1), alpha ?? 1));
    case 'softsign':
      return (x) => div(x, add(abs(x), 1));
    case 'softplus':
      return (x) => log(add(exp(x), 1));
    default:
      throw new UnsupportedError(
        `unsupported recurrent activation '${name}' (Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus are)`,
      );
  }
}

/** Which activations take activation_alpha / activation_beta values (onnxruntime's reading of the spec). */
const TAKES_ALPHA = new Set(['affine', 'leakyrelu', 'thresholdedrelu', 'scaledtanh', 'hardsigmoid', 'elu']);
const TAKES_BETA = new Set(['affine', 'scaledtanh', 'hardsigmoid']);

/**
 * The alpha and beta of each activation: the lists are consumed in order, across both
 * directions, by the activations that take a parameter (Tanh / Sigmoid / Softsign take none);
 * a list that runs out leaves the operator's defaults.
 */
export function activationParams(
  names: readonly string[],
  alphas: readonly number[] = [],
  betas: readonly number[] = [],
): { alpha?: number; beta?: number }[] {
  let a = 0;
  let b = 0;
  return names.map((name) => {
    const n = name.toLowerCase();
    return {
      alpha: TAKES_ALPHA.has(n) ? alphas[a++] : undefined,
      beta: TAKES_BETA.has(n) ? betas[b++] : undefined,
    };
  });
}

/** Activations the fused kernel knows, when alpha / beta are absent or the defaults. */
function fusedName(name: string, alpha?: number, beta?: number): ActivationName | null {
  const n = name.toLowerCase();
  if (n === 'sigmoid' || n === 'tanh' || n === 'relu') return n as ActivationName;
  if (n === 'hardsigmoid' && (alpha ?? 0.2) === 0.2 && (beta ?? 0.5) === 0.5) return 'hardSigmoid';
  if (n === 'affine' && (alpha ?? 1) === 1 && (beta ?? 0) === 0) return 'linear';
  return null;
}

const DEFAULT_ACTS: Record<RecurrentKind, string[]> = {
  rnn: ['Tanh'],
  lstm: ['Sigmoid', 'Tanh', 'Tanh'],
  gru: ['Sigmoid', 'Tanh'],
};

/**
 * ONNX RNN / GRU / LSTM with every attribute: direction, layout 0 and 1, sequence_lens,
 * initial_h / initial_c, activations with alpha / beta, clip, input_forget, linear_before_reset,
 * peepholes P. Plain cases run on the fused kernel (via @recur/layers); the rest run step by step.
 */
function recurrentOp(kind: RecurrentKind): OpImpl {
  return (c: OpContext) => {
    const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
    const layout = int(c, 'layout', 0);
    if (layout !== 0 && layout !== 1) throw new FormatError(`${c.node}: layout should be 0 or 1, got ${layout}`);
    let X = input(c, 0, 'X');
    const W = input(c, 1, 'W');
    const R = input(c, 2, 'R');
    const Bias = c.inputs[3];
    const lens = c.inputs[4];
    let h0 = c.inputs[5];
    let c0 = kind === 'lstm' ? c.inputs[6] : undefined;
    const P = kind === 'lstm' ? c.inputs[7] : undefined;
    const shapeOf = (t: Tensor) => formatShape(t.shape);
    if (X.rank !== 3 || !isFloatDType(X.dtype))
      throw new ShapeError(`${c.node}: X should be a float tensor of rank 3, got ${shapeOf(X)} ${X.dtype}`);
    if (layout === 1) X = swapAxes(X, 0, 1);
    const [T, Bsz, I] = X.shape;
    if (W.rank !== 3 || R.rank !== 3)
      throw new ShapeError(`${c.node}: W and R should have rank 3, got ${shapeOf(W)} and ${shapeOf(R)}`);
    const dirs = W.shape[0];
    const H = int(c, 'hidden_size', R.shape[2]);
    const direction = str(c, 'direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(direction))
      throw new FormatError(`${c.node}: direction should be forward, reverse or bidirectional, got '${direction}'`);
    if ((direction === 'bidirectional' ? 2 : 1) !== dirs)
      throw new ShapeError(`${c.node}: direction '${direction}' but W ${shapeOf(W)} has ${dirs} direction(s)`);
    const expect = (what: string, t: Tensor | undefined, want: number[]) => {
      if (t && (t.rank !== want.length || t.shape.some((d, i) => d !== want[i])))
        throw new ShapeError(`${c.node}: ${what} should be ${formatShape(want)}, got ${shapeOf(t)}`);
    };
    if (!(H > 0)) throw new FormatError(`${c.node}: hidden_size should be a positive int, got ${H}`);
    expect('W', W, [dirs, G * H, I]);
    expect('R', R, [dirs, G * H, H]);
    expect('B', Bias, [dirs, 2 * G * H]);
    if (layout === 1) {
      if (h0) h0 = swapAxes(h0, 0, 1);
      if (c0) c0 = swapAxes(c0, 0, 1);
    }
    expect(layout === 1 ? 'initial_h (swapped to layout 0)' : 'initial_h', h0, [dirs, Bsz, H]);
    expect(layout === 1 ? 'initial_c (swapped to layout 0)' : 'initial_c', c0, [dirs, Bsz, H]);
    expect('P', P, [dirs, 3 * H]);
    const per = DEFAULT_ACTS[kind].length;
    let names = strs(c, 'activations') ?? [...DEFAULT_ACTS[kind], ...(dirs === 2 ? DEFAULT_ACTS[kind] : [])];
    if (names.length === per && dirs === 2) names = [...names, ...names];
    if (names.length !== per * dirs)
      throw new FormatError(
        `${c.node}: activations should list ${per * dirs} function(s) (${per} per direction), got ${names.length}`,
      );
    const params = activationParams(names, floats(c, 'activation_alpha'), floats(c, 'activation_beta'));
    const clip = optionalNum(c, 'clip');
    if (clip !== undefined && !(clip > 0))
      throw new FormatError(`${c.node}: clip should be a positive float, got ${clip}`);
    const inputForget = int(c, 'input_forget', 0) === 1;
    const lbr = int(c, 'linear_before_reset', 0) === 1;
    let lengths: number[] | undefined;
    if (lens) {
      expect('sequence_lens', lens, [Bsz]);
      lengths = values(lens, c, 'sequence_lens') as number[];
      const bad = lengths.findIndex((n) => n < 0 || n > T);
      if (bad >= 0)
        throw new ValueError(
          `${c.node}: sequence_lens[${bad}] = ${lengths[bad]} is outside 0..${T} (the sequence length)`,
        );
    }
    const xb = swapAxes(X, 0, 1); // [B, T, I]
    const ys: Tensor[] = [];
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const reverse = direction === 'reverse' || d === 1;
      const pick = (t: Tensor | undefined) => (t ? squeeze(slice(t, [d], [1]), 0) : undefined);
      const w = pick(W) as Tensor;
      const r = pick(R) as Tensor;
      const b = pick(Bias);
      const [wb, rb] = b ? split(b, 2, 0) : [undefined, undefined];
      const hd = pick(h0) ?? zeros([Bsz, H], X.dtype);
      const cd = kind === 'lstm' ? (pick(c0) ?? zeros([Bsz, H], X.dtype)) : undefined;
      const acts = names.slice(d * per, d * per + per);
      const own = params.slice(d * per, d * per + per);
      const fused = acts.map((a, i) => fusedName(a, own[i].alpha, own[i].beta));
      const plain = clip === undefined && !inputForget && !P && fused.every((f) => f !== null);
      let y: Tensor;
      let hN: Tensor;
      let cN: Tensor | undefined;
      if (plain) {
        const out = runRecurrent(
          xb,
          onnxToTorch(kind, { W: w, R: r, B: b }),
          { h0: hd, c0: cd, seqLengths: lengths ? tensor(lengths, { dtype: 'int32' }) : undefined },
          {
            kind,
            hiddenSize: H,
            projSize: 0,
            reverse,
            activations: fused as ActivationName[],
            linearBeforeReset: kind !== 'gru' || lbr,
          },
        );
        y = out.y;
        hN = out.hN;
        cN = out.cN;
      } else {
        const fns = acts.map((a, i) => activationFn(a, own[i].alpha, own[i].beta));
        const out = stepwise(kind, xb, w, r, wb, rb, hd, cd, P ? pick(P) : undefined, fns, {
          reverse,
          clip,
          inputForget,
          lbr,
          lengths,
          H,
        });
        y = out.y;
        hN = out.hN;
        cN = out.cN;
      }
      ys.push(y);
      hs.push(hN);
      if (cN) cs.push(cN);
    }
    // Y: [T, dirs, B, H] (layout 0) or [B, T, dirs, H] (layout 1).
    const yAll = stack(ys, 1); // [B, dirs, T, H]
    const Y = layout === 1 ? swapAxes(yAll, 1, 2) : swapAxes(yAll, 0, 2);
    const Yh = layout === 1 ? stack(hs, 1) : stack(hs, 0);
    const Yc = cs.length ? (layout === 1 ? stack(cs, 1) : stack(cs, 0)) : undefined;
    return kind === 'lstm' ? [Y, Yh, Yc] : [Y, Yh];
  };
}

interface StepOptions {
  reverse: boolean;
  clip?: number;
  inputForget: boolean;
  lbr: boolean;
  lengths?: number[];
  H: number;
}

/** The operator's equations one step at a time, in ONNX gate order. */
function stepwise(
  kind: RecurrentKind,
  x: Tensor,
  W: Tensor,
  R: Tensor,
  Wb: Tensor | undefined,
  Rb: Tensor | undefined,
  h0: Tensor,
  c0: Tensor | undefined,
  P: Tensor | undefined,
  [f, g, h]: ((x: Tensor) => Tensor)[],
  o: StepOptions,
): { y: Tensor; hN: Tensor; cN?: Tensor } {
  const [B, T] = x.shape;
  const { H } = o;
  const clip = (t: Tensor) => (o.clip === undefined ? t : maximum(minimum(t, o.clip), -o.clip));
  const lens = o.lengths ?? new Array(B).fill(T);
  let hPrev = h0;
  let cPrev = c0;
  const outs: Tensor[] = [];
  const [pi, po, pf] = P ? split(P, 3, 0) : [undefined, undefined, undefined];
  const xw = matMul(x, W, { transposeB: true }); // [B, T, G·H]
  for (let s = 0; s < T; s++) {
    const rows = lens.map((len, b) => b * T + Math.min(o.reverse ? Math.max(len - 1 - s, 0) : s, T - 1));
    let xt = gather(reshape(xw, [B * T, -1]), tensor(rows, { dtype: 'int32' }), 0);
    if (Wb) xt = add(xt, Wb);
    const running = unsqueeze(
      tensor(
        lens.map((len) => (s < len ? 1 : 0)),
        { dtype: 'bool' },
      ),
      1,
    );
    let hNew: Tensor;
    let cNew: Tensor | undefined;
    if (kind === 'gru') {
      const [Rz, Rr, Rh] = split(R, 3, 0);
      const [bz, br, bh] = Rb ? split(Rb, 3, 0) : [undefined, undefined, undefined];
      const [xz, xr, xh] = split(xt, 3, 1);
      const rec = (hh: Tensor, w: Tensor, bb?: Tensor) =>
        bb ? add(matMul(hh, w, { transposeB: true }), bb) : matMul(hh, w, { transposeB: true });
      const z = f(clip(add(xz, rec(hPrev, Rz, bz))));
      const r = f(clip(add(xr, rec(hPrev, Rr, br))));
      const cand = o.lbr ? add(xh, mul(r, rec(hPrev, Rh, bh))) : add(xh, rec(mul(r, hPrev), Rh, bh));
      const ht = g(clip(cand));
      hNew = add(mul(sub(1, z), ht), mul(z, hPrev));
    } else {
      let gates = add(xt, matMul(hPrev, R, { transposeB: true }));
      if (Rb) gates = add(gates, Rb);
      if (kind === 'rnn') {
        hNew = f(clip(gates));
      } else {
        const [gi, go, gf, gc] = split(gates, 4, 1);
        const cp = cPrev as Tensor;
        const i = f(clip(pi ? add(gi, mul(pi, cp)) : gi));
        const fg = o.inputForget ? sub(1, i) : f(clip(pf ? add(gf, mul(pf, cp)) : gf));
        const ct = g(clip(gc));
        cNew = add(mul(fg, cp), mul(i, ct));
        const ot = f(clip(po ? add(go, mul(po, cNew)) : go));
        hNew = mul(ot, h(cNew));
      }
    }
    outs.push(where(running, hNew, 0));
    hPrev = where(running, hNew, hPrev);
    if (cNew && cPrev) cPrev = where(running, cNew, cPrev);
  }
  // outs[s] holds step s; put each back at its time position.
  const steps = reshape(stack(outs, 1), [B * T, H]);
  const index: number[] = [];
  lens.forEach((len, b) => {
    for (let t = 0; t < T; t++) index.push(b * T + (t < len ? (o.reverse ? len - 1 - t : t) : 0));
  });
  const mask = tensor(
    lens.flatMap((len) => Array.from({ length: T }, (_, t) => (t < len ? 1 : 0))),
    { shape: [B * T, 1], dtype: 'bool' },
  );
  const y = reshape(where(mask, gather(steps, tensor(index, { dtype: 'int32' }), 0), 0), [B, T, H]);
  return { y, hN: hPrev, cN: cPrev };
}

export const recurrentOps: Record<string, OpImpl> = {
  RNN: recurrentOp('rnn'),
  GRU: recurrentOp('gru'),
  LSTM: recurrentOp('lstm'),
};
