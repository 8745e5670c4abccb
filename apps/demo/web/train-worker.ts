/// <reference lib="webworker" />
import { noGrad, valueAndGradsOf } from '@recur/autograd';
import { JsBackend, wasmReady, wasmVariant } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { lmWindows, Vocab } from '@recur/data';
import { exportOnnx } from '@recur/onnx';
import { manualSeed, numTensors, registerBackend, setBackend, tidy } from '@recur/tensor';
import { Adam, decodeCheckpoint, encodeCheckpoint, generate, RecurrentLM, type RecurrentLMConfig } from '@recur/train';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { FEATURES, type Feature, hiddenStates, rankUnits } from '../src/units-core';
import {
  type FromWorker,
  PROGRESS_INTERVAL_MS,
  type ToWorker,
  type TrainSettings,
  type UnitView,
} from './train-protocol';

// Training runs here, off the page's thread: the page only draws what this posts.
const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let state: 'idle' | 'starting' | 'running' | 'paused' | 'stopped' = 'idle';
/** The state as messages left it (read through a call: they change it between steps). */
const now = () => state;
let wake: (() => void) | null = null;
let saveRequested = false;
let feature: Feature = 'line-end';
let current: Session | null = null;

interface Session {
  lm: RecurrentLM;
  optimizer: Adam;
  vocab: Vocab;
  config: RecurrentLMConfig;
  train: number[];
  held: number[];
  step: number;
}

async function useBackend(name: 'js' | 'tfjs'): Promise<{ backend: string; threads: string; threadCount: number }> {
  if (name === 'tfjs') {
    const gl = await tf.setBackend('webgl').catch(() => false);
    if (!gl) await tf.setBackend('cpu');
    registerBackend('tfjs', () => new TfjsBackend());
    setBackend('tfjs');
    return { backend: `TensorFlow.js (${tf.getBackend()})`, threads: '', threadCount: 1 };
  }
  // Kernel threads are Workers started from this Worker, sharing its WebAssembly memory: they need a
  // cross-origin isolated page (SharedArrayBuffer) and nested Workers; otherwise one thread.
  const g = self as unknown as { crossOriginIsolated?: boolean; Worker?: unknown };
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const wanted = g.crossOriginIsolated && typeof g.Worker === 'function' ? cores : 1;
  const threads = await Promise.race([
    wasmReady(wanted).then(() => wanted),
    // Workers that never come up (a browser without nested Workers) leave us on one thread.
    new Promise<number>((r) => setTimeout(() => r(1), 5000)),
  ]);
  setBackend(new JsBackend({ threads }));
  const simd =
    wasmVariant() === 'relaxed'
      ? 'WebAssembly relaxed SIMD'
      : wasmVariant()
        ? 'WebAssembly SIMD'
        : 'TypeScript kernels';
  const why = g.crossOriginIsolated ? 'nested Workers are not available here' : 'the page is not cross-origin isolated';
  return {
    backend: `recur backend-js (${simd})`,
    threads: threads > 1 ? `${threads} threads (Workers inside this Worker)` : `one thread (${why})`,
    threadCount: threads,
  };
}

function setUp(s: TrainSettings): Session {
  let vocab: Vocab;
  let lm: RecurrentLM;
  let config: RecurrentLMConfig;
  let step = 0;
  if (s.resume) {
    const c = decodeCheckpoint(s.resume, 'checkpoint');
    if (!c.vocab) throw new Error('the checkpoint has no vocabulary');
    vocab = Vocab.fromJSON(JSON.stringify(c.vocab));
    config = (c.extra?.model as RecurrentLMConfig | undefined) ?? {
      vocabSize: vocab.size,
      embeddingDim: s.embedding,
      hiddenSize: s.hidden,
      cell: s.cell,
    };
    lm = new RecurrentLM(config);
    lm.loadStateDict(c.model);
    for (const t of Object.values(c.model)) t.dispose();
    step = c.step;
    const optimizer = new Adam(lm.parameters(), { lr: s.lr });
    if (c.optimizer) optimizer.loadState(c.optimizer);
    const ids = vocab.encode(s.corpus); // characters the checkpoint never saw become <unk>
    const cut = Math.floor(ids.length * 0.9);
    return { lm, optimizer, vocab, config, train: ids.slice(0, cut), held: ids.slice(cut), step };
  }
  vocab = Vocab.build([s.corpus], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
  config = { vocabSize: vocab.size, embeddingDim: s.embedding, hiddenSize: s.hidden, cell: s.cell };
  manualSeed(s.seed); // the same seed and settings start from the same weights
  lm = new RecurrentLM(config);
  const ids = vocab.encode(s.corpus);
  const cut = Math.floor(ids.length * 0.9);
  return {
    lm,
    optimizer: new Adam(lm.parameters(), { lr: s.lr }),
    vocab,
    config,
    train: ids.slice(0, cut),
    held: ids.slice(cut),
    step,
  };
}

function validationPerplexity(t: Session, s: TrainSettings): number {
  let total = 0;
  let count = 0;
  t.lm.eval();
  noGrad(() => {
    for (const w of lmWindows(t.held, { batchSize: s.batch, seqLen: s.seqLen })) {
      tidy(() => {
        const loss = t.lm.loss(w.x, w.y).loss;
        total += loss.item() * w.y.size;
        count += w.y.size;
      });
      w.x.dispose();
      w.y.dispose();
    }
  });
  t.lm.train();
  return count ? Math.exp(total / count) : Number.NaN;
}

/** The hidden unit of the model being trained that best tracks the chosen feature over a sample. */
function unitView(t: Session, ids: number[]): UnitView {
  const text = t.vocab.decode(ids);
  const states = hiddenStates(t.lm, ids);
  const best = rankUnits(states, FEATURES[feature](text))[0];
  const activations = states.map((h) => h[best.unit]);
  return { text, feature, unit: best.unit, r: best.r, activations };
}

function checkpoint(t: Session): void {
  const bytes = encodeCheckpoint({
    model: t.lm.stateDict(),
    optimizer: t.optimizer.state(),
    step: t.step,
    vocab: t.vocab.toJSON(),
    extra: { model: { ...t.config, rng: undefined, dtype: undefined } },
  });
  post({ type: 'checkpoint', bytes, step: t.step }, [bytes.buffer]);
}

async function run(s: TrainSettings): Promise<void> {
  const { backend, threads, threadCount } = await useBackend(s.backend);
  const t = setUp(s);
  current = t;
  post({
    type: 'ready',
    vocabSize: t.vocab.size,
    tokens: t.train.length,
    parameters: t.lm.parameters().reduce((n, p) => n + p.value.size, 0),
    backend,
    threads,
    threadCount,
    step: t.step,
  });
  if (t.train.length < s.seqLen + 1)
    throw new Error(`the corpus has ${t.train.length} training tokens, fewer than one window`);
  // A Stop that came while the backend was starting ends the run before its first step.
  if (now() !== 'stopped') {
    state = 'running';
    post({ type: 'state', state: 'running' });
  }
  const params = () => t.lm.parameters().map((p) => p.value);
  let lastPost = 0;
  let valPerplexity: number | null = null;
  const started = performance.now();
  let stepsHere = 0;
  let lastLoss = Number.NaN;
  const report = (step: number, loss: number, clock: number) => {
    const perStep = (clock - started) / 1000 / Math.max(1, stepsHere);
    post({
      type: 'progress',
      step,
      steps: end,
      loss,
      valPerplexity,
      tokensPerSecond: (s.batch * s.seqLen) / perStep,
      etaSeconds: perStep * (end - step),
      liveTensors: numTensors(),
    });
  };
  const end = t.step + s.steps;
  const losses: number[] = [];
  // A run continued from a checkpoint picks up at the window where it stopped, so it takes the
  // same steps, with the same losses, as one that never stopped.
  const perEpoch = Math.ceil(Math.floor((t.train.length - 1) / s.batch) / s.seqLen);
  let skip = t.step % perEpoch;
  outer: while (t.step < end) {
    for (const w of lmWindows(t.train, { batchSize: s.batch, seqLen: s.seqLen })) {
      if (skip > 0) {
        skip--;
        w.x.dispose();
        w.y.dispose();
        continue;
      }
      if (now() === 'paused') {
        post({ type: 'state', state: 'paused' });
        await new Promise<void>((r) => {
          wake = r;
        });
        if (now() !== 'stopped') post({ type: 'state', state: 'running' });
      }
      if (now() === 'stopped' || t.step >= end) {
        w.x.dispose();
        w.y.dispose();
        break outer;
      }
      const loss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => t.lm.loss(w.x, w.y).loss, params());
        t.optimizer.step(grads, { skipNonFinite: true });
        return value.item();
      });
      w.x.dispose();
      w.y.dispose();
      losses.push(loss);
      lastLoss = loss;
      t.step++;
      stepsHere++;
      if (t.step % s.sampleEvery === 0 || t.step === end) {
        valPerplexity = validationPerplexity(t, s);
        t.lm.eval();
        const prompt = t.vocab.encode('\n');
        const ids = generate(t.lm, prompt, { maxTokens: 60, temperature: 0.8, seed: t.step });
        post({ type: 'sample', step: t.step, text: t.vocab.decode(ids), units: unitView(t, [...prompt, ...ids]) });
        t.lm.train();
      }
      const clock = performance.now();
      if (clock - lastPost >= PROGRESS_INTERVAL_MS || t.step === end) {
        lastPost = clock;
        report(t.step, loss, clock);
      }
      if (saveRequested) {
        saveRequested = false;
        checkpoint(t);
      }
      // Let pause / stop / checkpoint messages in.
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  const stopped = now() === 'stopped';
  state = 'stopped';
  // Stopped between two throttled reports: the page still learns the step the run ended on.
  if (stopped && stepsHere > 0) report(t.step, lastLoss, performance.now());
  post({ type: 'losses', firstStep: end - s.steps + 1, values: losses });
  // Finished or stopped, the run's weights are kept: the page can download or continue them.
  checkpoint(t);
  saveRequested = false;
  post({ type: 'state', state: stopped ? 'stopped' : 'done' });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'start') {
    state = 'starting';
    feature = m.settings.feature;
    run(m.settings).catch((err) => post({ type: 'error', message: (err as Error).message }));
  } else if (m.type === 'pause' && state === 'running') {
    state = 'paused';
  } else if (m.type === 'resume' && state === 'paused') {
    state = 'running';
    wake?.();
  } else if (m.type === 'stop') {
    const was = state;
    state = 'stopped';
    if (was === 'paused') wake?.();
  } else if (m.type === 'onnx' && current) {
    // The model as standard ONNX (the vocabulary in its metadata), for onnxruntime or the Generate page.
    const bytes = exportOnnx(current.lm, { metadata: { vocab: JSON.stringify(current.vocab.toJSON()) } });
    post({ type: 'onnx', bytes, step: current.step }, [bytes.buffer]);
  } else if (m.type === 'feature') {
    feature = m.feature;
  } else if (m.type === 'checkpoint') {
    // While stepping, after the current step; while paused or finished, now.
    if (state === 'running') saveRequested = true;
    else if (current) checkpoint(current);
  }
};
