import type { RecurrentAttrs, RecurrentInputs, TypedArray } from '@recur/backend-api';
import { type WasmBlock, WasmKernels } from '../wasm/runtime';
import type { KernelCall } from '../wasm/thread-pool';
import type { RecurrentBackwardResult } from './recurrent-backward';
import { dataRow, type RecurrentSchedule, recurrentSchedule } from './recurrent-schedule';

/**
 * The float32 recurrent kernels on WebAssembly SIMD: the same algorithm as recurrent-forward.ts
 * and recurrent-backward.ts, with every product and gate on the SIMD kernels and all buffers in
 * wasm memory. Rows are kept in processing order — step s's active rows are rows
 * stepStart[s] … stepStart[s] + active[s] − 1 — so each step reads and writes contiguous blocks.
 */

/** Whether these attributes have a SIMD kernel: float32, default activations, no projection, GRU with reset after. */
export function wasmRecurrentSupports(attrs: RecurrentAttrs, dtype: string): boolean {
  if (dtype !== 'float32' || attrs.projSize > 0) return false;
  if (attrs.kind === 'gru' && !attrs.linearBeforeReset) return false;
  const want =
    attrs.kind === 'rnn' ? ['tanh'] : attrs.kind === 'lstm' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'];
  return attrs.activations.length === want.length && attrs.activations.every((a, i) => a === want[i]);
}

/** Floats per row of the workspace: LSTM [i f g o c tanh(c) c_prev h_prev], GRU [r z n hn h_prev], RNN [h h_prev]. */
function workspaceWidth(attrs: RecurrentAttrs): number {
  const H = attrs.hiddenSize;
  return attrs.kind === 'lstm' ? 8 * H : attrs.kind === 'gru' ? 5 * H : 2 * H;
}

const data = (t: { data: unknown } | undefined) => (t ? (t.data as Float32Array) : undefined);

/** Visits every (processing row, step) with the row of x / y it stands for (see dataRow). */
function forEachRow(L: RecurrentSchedule, reverse: boolean, visit: (row: number, data: number) => void): void {
  for (let s = 0; s < L.T; s++) {
    for (let r = 0; r < L.active[s]; r++) visit(L.stepStart[s] + r, dataRow(L, r, s, reverse));
  }
}

/**
 * Copies x's real rows into wasm memory in processing order. Packed input in the forward
 * direction already is in that order: one copy.
 */
function putInputsInStepOrder(
  k: WasmKernels,
  L: RecurrentSchedule,
  reverse: boolean,
  x: Float32Array,
  at: number,
): void {
  const f = k.f32();
  const { I } = L;
  if (L.packed && !reverse) {
    f.set(x.subarray(0, L.stepStart[L.T] * I), at / 4);
    return;
  }
  forEachRow(L, reverse, (row, d) => f.set(x.subarray(d * I, (d + 1) * I), at / 4 + row * I));
}

/** Rows of y (and dy): N packed, else B·T. */
const dataRows = (L: RecurrentSchedule) => (L.packed ? L.stepStart[L.T] : L.B * L.T);

export interface WasmRecurrentForward {
  y: Float32Array;
  hN: Float32Array;
  cN?: Float32Array;
  /** [rows, width] in processing order, kept in wasm memory for backward; null when nothing was saved. */
  workspace: WasmBlock | null;
  layout: RecurrentSchedule;
}

/**
 * Threads for a product of `rows` rows, each `work` multiply-adds, given `usable` threads: a
 * barrier costs about as much as 2^17 multiply-adds, and each block needs whole 4-row panels.
 */
function threadsFor(usable: number, rows: number, work: number): number {
  return rows >= 8 && rows * work >= 1 << 17 ? Math.min(usable, Math.floor(rows / 4)) : 1;
}

/**
 * Threads for a step split by hidden units instead (a batch too small to split its rows): each
 * thread then multiplies by its units' columns only — a share of W_hh small enough to stay in its
 * core's cache between steps — and one barrier a step joins them. Worth it once the step's
 * product is large (2^16 multiply-adds) and each thread keeps at least 32 units.
 */
function unitThreadsFor(usable: number, B: number, H: number, GH: number): number {
  if (usable < 2 || B >= 8 || GH * H < 1 << 16) return 1;
  return Math.max(1, Math.min(usable, Math.floor(H / 32)));
}

export function wasmRecurrentForward(
  k: WasmKernels,
  inputs: RecurrentInputs,
  attrs: RecurrentAttrs,
  threads = 1,
): WasmRecurrentForward {
  const L = recurrentSchedule(inputs, attrs);
  const { B, T, I, H, GH, order, active, stepStart } = L;
  const rows = stepStart[T];
  const lstm = attrs.kind === 'lstm';
  const wsW = workspaceWidth(attrs);
  const save = attrs.saveForBackward ?? true;
  const fn = k.fn;

  k.reset();
  // The workspace stays where the kernels write it until backward reads it.
  const wsBlock = save ? k.retain(rows * wsW) : null;
  const ws = wsBlock ? wsBlock.at : 0;
  // Fixed for the whole call: workers coming up halfway must not change the scratch count.
  const usable = k.threads(threads);
  const unitThreads = unitThreadsFor(usable, B, H, GH);
  const units = unitThreads > 1 ? new UnitSplit(k, inputs, attrs, L, unitThreads) : null;
  // W_ihᵀ and W_hhᵀ (read through strides), packed once per weight array and kept. A unit split
  // packs each thread's columns instead, and with one step (token by token) projects the input
  // in the same call.
  const projectAhead = !units?.projects;
  const packedIh = projectAhead ? k.packedWeights(data(inputs.wIh) as Float32Array, I, GH, 1, I) : 0;
  const packedHh = units ? 0 : k.packedWeights(data(inputs.wHh) as Float32Array, H, GH, 1, H);
  const bIh = inputs.bIh ? k.cachedCopy(data(inputs.bIh) as Float32Array) : 0;
  const bHh = inputs.bHh ? k.cachedCopy(data(inputs.bHh) as Float32Array) : 0;
  const px = k.alloc(rows * I);
  const xw = projectAhead ? k.alloc(rows * GH) : 0;
  const scratch = units ? units.scratch() : k.scratch(usable);
  // h is double-buffered under a unit split (every thread reads all of h_prev).
  const hBuffers = [k.alloc(B * H), units ? k.alloc(B * H) : 0];
  let h = hBuffers[0];
  const c = k.alloc(B * H);
  const hw = k.alloc(B * GH);
  putInputsInStepOrder(k, L, attrs.reverse, data(inputs.x) as Float32Array, px);
  const f = k.f32();

  // Input projection of every real step at once: xw = x·W_ihᵀ + b_ih (W_ihᵀ read through strides).
  if (projectAhead) {
    if (bIh) fn.broadcastRows(rows, GH, bIh, xw);
    k.gemmRows(threadsFor(usable, rows, GH * I), scratch, rows, GH, I, px, I, 1, packedIh, xw, GH, bIh ? 1 : 0);
  }

  const h0 = data(inputs.h0) as Float32Array;
  const c0 = data(inputs.c0);
  for (let r = 0; r < B; r++) {
    f.set(h0.subarray(order[r] * H, (order[r] + 1) * H), h / 4 + r * H);
    if (c0) f.set(c0.subarray(order[r] * H, (order[r] + 1) * H), c / 4 + r * H);
    else f.fill(0, c / 4 + r * H, c / 4 + (r + 1) * H);
  }

  const y = new Float32Array(dataRows(L) * H);
  const hN = new Float32Array(B * H);
  for (let s = 0; s < T; s++) {
    const na = active[s];
    if (na === 0) break;
    const xwStep = xw + stepStart[s] * GH * 4;
    const wsStep = save ? ws + stepStart[s] * wsW * 4 : 0;
    // Each thread takes a block of rows through the recurrent product and the gates, in place:
    // row r's product reads only row r of h. A batch too small for that splits the hidden units
    // instead (UnitSplit); for the few-row steps at the end of a packed batch 32, splitting them by
    // units was measured no faster than by rows, so a large batch always splits by rows.
    if (units) {
      const hOut = h === hBuffers[0] ? hBuffers[1] : hBuffers[0];
      const pxStep = px + stepStart[s] * I * 4;
      k.parallel(units.calls(na, h, hOut, c, pxStep, bIh, bHh, projectAhead ? xwStep : 0, wsStep, wsW));
      h = hOut;
    } else {
      const kernel = lstm ? 'lstmRows' : attrs.kind === 'gru' ? 'gruRows' : 'rnnRows';
      k.parallel(
        WasmKernels.blocks(na, threadsFor(usable, na, GH * H)).map(([r0, n], t) => {
          const rowState = [h + r0 * H * 4, packedHh, hw + r0 * GH * 4, scratch[t], xwStep + r0 * GH * 4, bHh];
          const saved = [wsStep ? wsStep + r0 * wsW * 4 : 0, wsW];
          return lstm ? [kernel, n, H, ...rowState, c + r0 * H * 4, ...saved] : [kernel, n, H, ...rowState, ...saved];
        }),
      );
    }
    for (let r = 0; r < na; r++)
      y.set(f.subarray(h / 4 + r * H, h / 4 + (r + 1) * H), dataRow(L, r, s, attrs.reverse) * H);
    // Rows that end here keep this state: later steps never touch them again.
    for (let r = s + 1 < T ? active[s + 1] : 0; r < na; r++) {
      hN.set(f.subarray(h / 4 + r * H, h / 4 + (r + 1) * H), order[r] * H);
    }
  }

  const cN = lstm ? new Float32Array(B * H) : undefined;
  for (let r = 0; r < B; r++) cN?.set(f.subarray(c / 4 + r * H, c / 4 + (r + 1) * H), order[r] * H);
  return { y, hN, cN, workspace: wsBlock, layout: L };
}

/**
 * A forward split across threads by hidden units (see unitThreadsFor): each thread's columns of
 * W_hh — and with a single step, of W_ih, which it then projects itself — gathered gate by gate
 * and packed once per weight array, like packedWeights.
 */
class UnitSplit {
  readonly blocks: [number, number][];
  /** Whether each thread projects the input itself (one step: no projection ahead of the loop). */
  readonly projects: boolean;
  private readonly packedHh: number[];
  private readonly packedIh: number[];
  private scratchAt: number[] = [];
  private readonly kernel: string;

  constructor(
    private readonly k: WasmKernels,
    inputs: RecurrentInputs,
    attrs: RecurrentAttrs,
    private readonly L: RecurrentSchedule,
    threads: number,
  ) {
    this.blocks = WasmKernels.blocks(L.H, threads, 4);
    this.projects = L.T === 1;
    this.kernel = attrs.kind === 'lstm' ? 'lstmUnits' : attrs.kind === 'gru' ? 'gruUnits' : 'rnnUnits';
    const wHh = data(inputs.wHh) as Float32Array;
    const wIh = data(inputs.wIh) as Float32Array;
    this.packedHh = this.blocks.map(([u0, Hu]) => k.packedUnits(wHh, L.G, L.H, L.H, u0, Hu));
    this.packedIh = this.projects ? this.blocks.map(([u0, Hu]) => k.packedUnits(wIh, L.G, L.H, L.I, u0, Hu)) : [];
  }

  scratch(): number[] {
    this.scratchAt = this.blocks.map(([, Hu]) => this.k.alloc(this.k.fn.unitsScratchSize(this.L.B, this.L.G, Hu) / 4));
    return this.scratchAt;
  }

  /** One step's calls, a thread each. */
  calls(
    na: number,
    hIn: number,
    hOut: number,
    c: number,
    px: number,
    bIh: number,
    bHh: number,
    xw: number,
    ws: number,
    wsW: number,
  ): KernelCall[] {
    const { H, I } = this.L;
    return this.blocks.map(([u0, Hu], t) => {
      const ih = this.projects ? [this.packedIh[t], px, bIh] : [0, 0, 0];
      const head = [na, H, Hu, u0, I, hIn, hOut];
      const tail = [this.packedHh[t], ...ih, bHh, xw, this.scratchAt[t], ws, wsW];
      return this.kernel === 'lstmUnits' ? [this.kernel, ...head, c, ...tail] : [this.kernel, ...head, ...tail];
    });
  }
}

/** Backpropagation through time for `wasmRecurrentForward`, from its workspace. */
export function wasmRecurrentBackward(
  k: WasmKernels,
  inputs: RecurrentInputs,
  attrs: RecurrentAttrs,
  workspace: WasmBlock,
  dy: TypedArray,
  dhN: TypedArray,
  dcN: TypedArray | undefined,
  threads = 1,
): RecurrentBackwardResult {
  const L = recurrentSchedule(inputs, attrs);
  const { B, T, I, H, GH, order, active, stepStart } = L;
  const rows = stepStart[T];
  const lstm = attrs.kind === 'lstm';
  const gru = attrs.kind === 'gru';
  const wsW = workspaceWidth(attrs);
  const fn = k.fn;

  k.reset();
  // W_hh [G·H, H] for dh_prev = dG·W_hh and W_ih [G·H, I] for dx = dA·W_ih, as they are (row-major).
  const packedHh = k.packedWeights(data(inputs.wHh) as Float32Array, GH, H, H, 1);
  const packedIh = k.packedWeights(data(inputs.wIh) as Float32Array, GH, I, I, 1);
  if (workspace.released) throw new Error('backend-js: the recurrent workspace was released before backward');
  const ws = workspace.at;
  const dG = k.alloc(rows * GH);
  const dA = gru ? k.alloc(rows * GH) : dG; // LSTM and RNN: the input side sees the same gradients
  const dh = k.alloc(B * H);
  const dNext = k.alloc(B * H);
  const dc = k.alloc(B * H);
  // Fixed for the whole call: workers coming up halfway must not change the scratch count.
  const usable = k.threads(threads);
  const scratch = k.scratch(usable);
  const packed = k.alloc(Math.max(fn.packedSize(rows, H), fn.packedSize(rows, I)) / 4);
  const px = k.alloc(rows * I);
  const dWHh = k.alloc(GH * H);
  const dWIh = k.alloc(GH * I);
  const dxRows = k.alloc(rows * I);
  const dBias = k.alloc(2 * GH);
  putInputsInStepOrder(k, L, attrs.reverse, data(inputs.x) as Float32Array, px);
  const f = k.f32();
  f.fill(0, dBias / 4, dBias / 4 + 2 * GH);
  for (let r = 0; r < B; r++) {
    f.set(dhN.subarray(order[r] * H, (order[r] + 1) * H), dh / 4 + r * H);
    if (dcN) f.set(dcN.subarray(order[r] * H, (order[r] + 1) * H), dc / 4 + r * H);
    else f.fill(0, dc / 4 + r * H, dc / 4 + (r + 1) * H);
  }

  // dh_prev = dG·W_hh each step.
  for (let s = T - 1; s >= 0; s--) {
    const na = active[s];
    if (na === 0) continue;
    const step = stepStart[s];
    for (let r = 0; r < na; r++) {
      const src = dataRow(L, r, s, attrs.reverse) * H;
      const dst = dh / 4 + r * H;
      for (let j = 0; j < H; j++) f[dst + j] += dy[src + j];
    }
    // Each thread takes a block of rows through the gate gradients and dG·W_hh.
    const blocks = WasmKernels.blocks(na, threadsFor(usable, na, GH * H));
    k.parallel(
      blocks.map(([r0, n], t) => {
        const wsRows = ws + (step + r0) * wsW * 4;
        const dGRows = dG + (step + r0) * GH * 4;
        const tail = [packedHh, dNext + r0 * H * 4, scratch[t]];
        const dhRows = dh + r0 * H * 4;
        if (lstm) return ['lstmBackRows', n, H, wsRows, wsW, dhRows, dc + r0 * H * 4, dGRows, ...tail];
        if (gru) return ['gruBackRows', n, H, wsRows, wsW, dhRows, dGRows, dA + (step + r0) * GH * 4, ...tail];
        return ['rnnBackRows', n, H, wsRows, wsW, dhRows, dGRows, ...tail];
      }),
    );
    // Rows past na keep their gradient: they finished earlier (later in this reverse walk).
    f.copyWithin(dh / 4, dNext / 4, dNext / 4 + na * H);
  }

  // Weights over all steps at once: dW_hh = dGᵀ·h_prev, dW_ih = dAᵀ·x, dx = dA·W_ih.
  fn.packB(rows, H, ws + (wsW - H) * 4, wsW, 1, packed);
  k.gemmRows(threadsFor(usable, GH, H * rows), scratch, GH, H, rows, dG, 1, GH, packed, dWHh, H, 0);
  fn.packB(rows, I, px, I, 1, packed);
  k.gemmRows(threadsFor(usable, GH, I * rows), scratch, GH, I, rows, dA, 1, GH, packed, dWIh, I, 0);
  k.gemmRows(threadsFor(usable, rows, I * GH), scratch, rows, I, GH, dA, GH, 1, packedIh, dxRows, I, 0);
  fn.colSums(rows, GH, dA, GH, dBias);
  fn.colSums(rows, GH, dG, GH, dBias + GH * 4);

  const dx = new Float32Array(dataRows(L) * I);
  forEachRow(L, attrs.reverse, (row, d) => dx.set(f.subarray(dxRows / 4 + row * I, dxRows / 4 + (row + 1) * I), d * I));
  const dh0 = new Float32Array(B * H);
  const dc0 = lstm ? new Float32Array(B * H) : undefined;
  for (let r = 0; r < B; r++) {
    dh0.set(f.subarray(dh / 4 + r * H, dh / 4 + (r + 1) * H), order[r] * H);
    dc0?.set(f.subarray(dc / 4 + r * H, dc / 4 + (r + 1) * H), order[r] * H);
  }
  return {
    dx,
    dh0,
    dc0,
    dWIh: k.take(dWIh, GH * I),
    dWHh: k.take(dWHh, GH * H),
    dBIh: inputs.bIh ? k.take(dBias, GH) : undefined,
    dBHh: inputs.bHh ? k.take(dBias + GH * 4, GH) : undefined,
  };
}
