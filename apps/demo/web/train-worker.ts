/// <reference lib="webworker" />
import { JsBackend, wasmReady, wasmVariant } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { numTensors, ready, registerBackend, setBackend } from '@recur/tensor';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { detectModelFile } from '@recur/keras';
import type { Feature } from '../src/units-core';
import { ClassifierSession } from './sessions/classifier';
import { KerasSession } from './sessions/keras';
import { LMSession } from './sessions/lm';
import { OnnxSession } from './sessions/onnx';
import type { Session, Validation } from './sessions/session';
import {
  type FromWorker,
  type ModelFile,
  PROGRESS_INTERVAL_MS,
  type ToWorker,
  type TrainSettings,
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

async function useBackend(
  name: 'js' | 'tfjs',
  maxThreads = Number.POSITIVE_INFINITY,
): Promise<{ backend: string; threads: string; threadCount: number }> {
  if (name === 'tfjs') {
    const tfjs = new TfjsBackend({ backend: ['webgl', 'cpu'] });
    registerBackend('tfjs', () => tfjs);
    setBackend('tfjs');
    await ready();
    return { backend: `TensorFlow.js (${tfjs.tfjsBackend})`, threads: '', threadCount: 1 };
  }
  // Kernel threads are Workers started from this Worker, sharing its WebAssembly memory: they need a
  // cross-origin isolated page (SharedArrayBuffer) and nested Workers; otherwise one thread.
  const g = self as unknown as { crossOriginIsolated?: boolean; Worker?: unknown };
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const wanted = g.crossOriginIsolated && typeof g.Worker === 'function' ? Math.max(1, Math.min(cores, maxThreads)) : 1;
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

/** The session the settings ask for: what a file to continue from holds decides, else the task. */
async function open(s: TrainSettings): Promise<Session> {
  const files = s.resume ?? [];
  const kind = files.length ? kindOf(files) : null;
  if (kind === 'onnx') return new OnnxSession(s, files[0]);
  if (kind === 'keras') return KerasSession.open(s, files);
  if (s.task === 'classifier') {
    if (!s.messages) throw new Error('the classifier needs its messages');
    return new ClassifierSession(s, s.messages);
  }
  return new LMSession(s, () => feature);
}

/**
 * What model files hold, by their contents (a downloaded file's name may have lost its extension),
 * as @recur/keras' table of model files reads them: recur's checkpoint, ONNX, or a model Keras' loader reads.
 */
function kindOf(files: ModelFile[]): 'checkpoint' | 'keras' | 'onnx' {
  const main = files.find((f) => f.name.toLowerCase().endsWith('.json')) ?? files[0];
  const format = detectModelFile(main.bytes, main.name);
  if (format?.name === 'checkpoint') return 'checkpoint';
  return format?.loads ? 'keras' : 'onnx';
}

async function run(s: TrainSettings): Promise<void> {
  const { backend, threads, threadCount } = await useBackend(s.backend, s.maxThreads);
  const t = await open(s);
  current = t;
  post({ type: 'ready', ...t.summary, backend, threads, threadCount, step: t.step });
  // A Stop that came while the backend was starting ends the run before its first step.
  if (now() !== 'stopped') {
    state = 'running';
    post({ type: 'state', state: 'running' });
  }
  let lastPost = 0;
  let validation: Validation | null = null;
  const started = performance.now();
  let stepsHere = 0;
  let tokensHere = 0;
  const stepRates: number[] = [];
  let lastLoss = Number.NaN;
  const end = t.step + s.steps;
  const losses: number[] = [];
  const report = (step: number, loss: number, clock: number) => {
    const seconds = (clock - started) / 1000;
    post({
      type: 'progress',
      step,
      steps: end,
      loss,
      validation,
      tokensPerSecond: tokensHere / Math.max(seconds, 1e-9),
      stepTokensPerSecond: stepRates.length ? median(stepRates) : null,
      etaSeconds: (seconds / Math.max(1, stepsHere)) * (end - step),
      liveTensors: numTensors(),
    });
  };
  // A run continued from a checkpoint picks up at the batch where it stopped, so it takes the
  // same steps, with the same losses, as one that never stopped.
  let epoch = Math.floor(t.step / t.batchesPerEpoch);
  let skip = t.step % t.batchesPerEpoch;
  outer: while (t.step < end) {
    for (const b of t.batches(epoch)) {
      if (skip > 0) {
        skip--;
        b.dispose();
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
        b.dispose();
        break outer;
      }
      const stepStart = performance.now();
      const loss = await t.trainStep(b);
      // The training step alone, after three warm-up steps: what `pnpm bench:web` compares with Node
      // (the median step's rate: one slow moment of a shared machine does not move it).
      if (stepsHere >= 3) stepRates.push(b.tokenCount / ((performance.now() - stepStart) / 1000));
      tokensHere += b.tokenCount;
      b.dispose();
      losses.push(loss);
      lastLoss = loss;
      t.step++;
      stepsHere++;
      if (t.step % s.sampleEvery === 0 || t.step === end) {
        validation = await t.validate();
        post(await t.sample());
      }
      const clock = performance.now();
      if (clock - lastPost >= PROGRESS_INTERVAL_MS || t.step === end) {
        lastPost = clock;
        report(t.step, loss, clock);
      }
      if (saveRequested) {
        saveRequested = false;
        await checkpoint(t);
      }
      // Let pause / stop / checkpoint messages in (a message, not setTimeout, which browsers clamp to 4 ms).
      await yieldToMessages();
    }
    epoch++;
  }
  const stopped = now() === 'stopped';
  state = 'stopped';
  // Stopped between two throttled reports: the page still learns the step the run ended on.
  if (stopped && stepsHere > 0) report(t.step, lastLoss, performance.now());
  post({ type: 'losses', firstStep: end - s.steps + 1, values: losses });
  // Finished or stopped, the run's weights are kept: the page can download or continue them.
  await checkpoint(t);
  saveRequested = false;
  post({ type: 'state', state: stopped ? 'stopped' : 'done' });
}

function median(v: number[]): number {
  const sorted = [...v].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const channel = new MessageChannel();
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

async function checkpoint(t: Session): Promise<void> {
  const { bytes, fileName } = await t.checkpoint();
  post({ type: 'checkpoint', bytes, step: t.step, fileName }, [bytes.buffer]);
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
    try {
      const bytes = current.onnx();
      post({ type: 'onnx', bytes, step: current.step }, [bytes.buffer]);
    } catch (err) {
      post({ type: 'notice', message: (err as Error).message });
    }
  } else if (m.type === 'feature') {
    feature = m.feature;
  } else if (m.type === 'checkpoint') {
    // While stepping, after the current step; while paused or finished, now.
    if (state === 'running') saveRequested = true;
    else if (current) void checkpoint(current);
  }
};
