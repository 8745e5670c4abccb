import { wasmAvailable, wasmReady } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { Vocab } from '@recur/data';
import { OnnxModel } from '@recur/onnx';
import { dispose, keep, ready, registerBackend, setBackend, tensor, tidy } from '@recur/tensor';
import { decodeCheckpoint, type LMState, lastLogits, type RecurrentLM, sampleToken } from '@recur/train';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { lmFromCheckpoint } from '../src/demo-checkpoint';
import { colouredText, FEATURES, type Feature, hiddenStates, rankUnits } from '../src/units-core';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  $('status').textContent = text;
};

/** Produces the next-character logits one character at a time. */
interface Stepper {
  /** Feeds tokens and returns the logits after the last one. */
  feed(ids: number[]): Float32Array;
  reset(): void;
}

interface Loaded {
  stepper(): Stepper;
  /** The layers, for colouring by hidden units (a checkpoint; an ONNX graph has none to read). */
  lm: RecurrentLM | null;
  vocab: Vocab;
  label: string;
  to(backend: string): void;
  dispose(): void;
}
let loaded: Loaded | null = null;
let generated = '';

/** A recur language model keeps its state between calls: each character costs one step. */
function lmStepper(lm: RecurrentLM): Stepper {
  let state: LMState | undefined;
  const drop = () => {
    if (state) dispose([state.h, ...(state.c ? [state.c] : [])]);
    state = undefined;
  };
  return {
    feed(ids) {
      const r = tidy(() => {
        const out = lm.forward(tensor([ids], { dtype: 'int32' }), state);
        return { logits: lastLogits(out.logits), h: keep(out.state.h), c: out.state.c ? keep(out.state.c) : undefined };
      });
      drop();
      state = { h: r.h, c: r.c };
      const row = r.logits.dataSync() as Float32Array;
      r.logits.dispose();
      return row;
    },
    reset: drop,
  };
}

/** An exported graph has no state inputs: it re-reads a window of the last 64 characters. */
function onnxStepper(model: OnnxModel): Stepper {
  let history: number[] = [];
  return {
    feed(ids) {
      history = [...history, ...ids].slice(-64);
      const out = tidy(() => lastLogits(model.run({ tokens: tensor([history], { dtype: 'int32' }) }).output));
      const row = out.dataSync() as Float32Array;
      out.dispose();
      return row;
    },
    reset: () => {
      history = [];
    },
  };
}

/** A checkpoint from train-lm (weights, vocabulary, config), or an ONNX export with its vocabulary. */
async function load(file: File): Promise<Loaded> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (file.name.endsWith('.onnx')) {
    // Its weights are tensors on the backend active when it loads: load again on a backend switch.
    let model = OnnxModel.load(bytes);
    const vocabJson = model.metadata.vocab;
    if (!vocabJson) throw new Error(`${file.name}: no vocabulary in its metadata (export it with recur-demo export)`);
    return {
      stepper: () => onnxStepper(model),
      lm: null,
      vocab: Vocab.fromJSON(vocabJson),
      label: `${file.name} (ONNX, run by recur's interpreter)`,
      to: () => {
        model = OnnxModel.load(bytes);
      },
      dispose: () => {},
    };
  }
  const c = decodeCheckpoint(bytes, file.name);
  if (c.optimizer) for (const s of c.optimizer.slots) dispose(Object.values(s));
  const { lm, vocab, meta } = lmFromCheckpoint(c, file.name);
  return {
    stepper: () => lmStepper(lm),
    lm,
    vocab,
    label: `${meta.config.cell}(${meta.config.hiddenSize}) from ${file.name}`,
    to: (backend) => lm.to(backend),
    dispose: () => lm.dispose(),
  };
}

async function useBackend(name: string): Promise<string> {
  if (name === 'js') {
    setBackend('js');
    return wasmAvailable() ? 'backend-js (WebAssembly SIMD)' : 'backend-js (TypeScript)';
  }
  // WebGL where the browser has it, else TensorFlow.js' CPU backend: started by the backend's init().
  const tfjs = new TfjsBackend({ backend: ['webgl', 'cpu'] });
  registerBackend('tfjs', () => tfjs);
  setBackend('tfjs');
  await ready();
  return `TensorFlow.js (${tfjs.tfjsBackend})`;
}

/** Token by token, yielding to the page between tokens so the text appears as it is made. */
async function generate(): Promise<void> {
  if (!loaded) return;
  const { vocab } = loaded;
  const backend = $<HTMLSelectElement>('backend').value;
  const backendLabel = await useBackend(backend);
  loaded.to(backend);
  const prompt = $<HTMLInputElement>('prompt').value;
  const temperature = Number($<HTMLInputElement>('temperature').value);
  const length = Number($<HTMLInputElement>('length').value);
  const out = $('output');
  generated = prompt;
  out.textContent = generated;
  status(`generating on ${backendLabel}…`);
  const started = performance.now();
  const stepper = loaded.stepper();
  let ids = vocab.encode(`\n${prompt}`);
  try {
    for (let k = 0; k < length; k++) {
      const id = sampleToken(stepper.feed(ids), { temperature });
      generated += vocab.decode([id]);
      out.textContent = generated;
      ids = [id];
      if (k % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    stepper.reset();
  }
  const seconds = (performance.now() - started) / 1000;
  status(`${length} characters on ${backendLabel} in ${seconds.toFixed(2)} s`);
  colour();
  out.dataset.done = 'true';
}

/** Colours the generated text by one hidden unit (or the one that best tracks the chosen feature). */
function colour(): void {
  if (!loaded?.lm || !generated) return;
  const text = `\n${generated}`;
  const states = hiddenStates(loaded.lm, loaded.vocab.encode(text));
  const feature = $<HTMLSelectElement>('feature').value as Feature | '';
  let unit = Number($<HTMLInputElement>('unit').value);
  let info = '';
  if (feature) {
    const best = rankUnits(states, FEATURES[feature](text))[0];
    unit = best.unit;
    $<HTMLInputElement>('unit').value = String(unit);
    info = `unit ${unit} tracks “${feature}” with correlation ${best.r.toFixed(2)}`;
  }
  unit = Math.max(0, Math.min(unit, states[0].length - 1));
  $('output').innerHTML = colouredText(
    text.slice(1),
    states.slice(1).map((s) => s[unit]),
  );
  $('unit-info').textContent = info || `unit ${unit}: red positive, blue negative`;
}

$<HTMLInputElement>('file').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    loaded?.dispose();
    loaded = await load(file);
    $('model').textContent = loaded.label;
    $<HTMLButtonElement>('generate').disabled = false;
    status('model loaded');
  } catch (err) {
    status(`could not load ${file.name}: ${(err as Error).message}`);
  }
});
$('generate').addEventListener('click', () => {
  $('output').dataset.done = 'false';
  generate().catch((err) => {
    status(`error: ${(err as Error).message}`);
    $('output').dataset.done = 'error';
  });
});
$('unit').addEventListener('change', colour);
$('feature').addEventListener('change', colour);

// The SIMD kernels compile asynchronously where the main thread may not compile synchronously.
wasmReady().then((ok) => {
  const threads = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated
    ? 'threads available'
    : 'one thread';
  status(`ready — WebAssembly SIMD kernels: ${ok ? 'on' : 'off'} (${threads})`);
  document.body.dataset.wasm = ok ? 'on' : 'off';
});
