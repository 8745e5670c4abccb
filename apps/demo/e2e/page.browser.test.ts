import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dense, Embedding, LSTM as KerasLSTM, loadModel, Sequential } from '@recur/keras';
import { OnnxModel } from '@recur/onnx';
import { decodeCheckpoint } from '@recur/train';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLM } from '../src/export-lm';
import { trainLM } from '../src/train-lm';

// Drives the demo page in headless Chromium (Debian's, no browser download): load a checkpoint
// and an ONNX export, generate on backend-js and on TensorFlow.js, colour by a hidden unit.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
const quiet = { log: () => {}, interactive: false };

let server: PreviewServer;
let browser: Browser;
let page: Page;
let checkpoint: string;
let onnx: string;
const errors: string[] = [];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-web-'));
  const trained = await trainLM(
    {
      hidden: 32,
      embedding: 16,
      cell: 'LSTM',
      epochs: 1,
      batch: 16,
      seqLen: 32,
      lr: 0.01,
      seed: 1,
      out: dir,
      maxBatches: 10,
      samples: 0,
    },
    quiet,
  );
  checkpoint = trained.checkpoint;
  onnx = (await exportLM(checkpoint, join(dir, 'lm.onnx'), quiet)).path;
  await build({ configFile, logLevel: 'error' });
  server = await preview({ configFile, preview: { port: 0, strictPort: false }, logLevel: 'error' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview gave no local URL');
  await page.goto(url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function generateOn(backend: string, length: number): Promise<{ text: string; status: string }> {
  await page.selectOption('#backend', backend);
  await page.fill('#length', String(length));
  await page.click('#generate');
  await page.waitForSelector('#output[data-done="true"], #output[data-done="error"]', { timeout: 60_000 });
  const status = (await page.textContent('#status')) ?? '';
  expect(status).not.toMatch(/^error/);
  return { text: (await page.textContent('#output')) ?? '', status };
}

describe('the demo page in Chromium', () => {
  it('loads the WebAssembly SIMD kernels and is cross-origin isolated (threads possible)', async () => {
    await page.waitForSelector('body[data-wasm]');
    expect(await page.getAttribute('body', 'data-wasm')).toBe('on');
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  });

  it('generates text from a train-lm checkpoint on backend-js', async () => {
    await page.setInputFiles('#file', checkpoint);
    await page.waitForSelector('#generate:not([disabled])');
    expect(await page.textContent('#model')).toContain('LSTM(32)');
    const { text, status } = await generateOn('js', 60);
    expect(text.startsWith('Ma')).toBe(true);
    expect(text.length).toBeGreaterThanOrEqual(62);
    expect(status).toContain('60 characters on backend-js (WebAssembly SIMD)');
  }, 60_000);

  it('generates on TensorFlow.js (WebGL where the browser has it, else CPU)', async () => {
    const { text, status } = await generateOn('tfjs', 40);
    expect(text.length).toBeGreaterThanOrEqual(42);
    expect(status).toMatch(/40 characters on TensorFlow\.js \((webgl|cpu)\)/);
  }, 60_000);

  it('colours the text by the hidden unit that best tracks a feature', async () => {
    await page.selectOption('#feature', 'line-end');
    const info = await page.textContent('#unit-info');
    expect(info).toMatch(/unit \d+ tracks “line-end” with correlation/);
    const spans = await page.$$eval('#output span', (els) => els.map((e) => (e as HTMLElement).style.background));
    expect(spans.length).toBeGreaterThan(40);
    expect(spans.every((b) => b.startsWith('rgb'))).toBe(true);
  });

  it('generates from an ONNX export (vocabulary in its metadata)', async () => {
    await page.setInputFiles('#file', onnx);
    await page.waitForFunction(
      () =>
        /ONNX|could not/.test(document.getElementById('model')?.textContent ?? '') ||
        /could not/.test(document.getElementById('status')?.textContent ?? ''),
    );
    expect(await page.textContent('#status')).toBe('model loaded');
    const { text } = await generateOn('js', 20);
    expect(text.length).toBeGreaterThanOrEqual(22);
  }, 60_000);

  it('raised no errors in the page', () => {
    expect(errors).toEqual([]);
  });
});

describe('the Train page in Chromium: a Worker trains, the page stays free', () => {
  let train: Page;
  const trainErrors: string[] = [];
  const dataset = async (key: string) => Number(await train.evaluate((k) => document.body.dataset[k], key));

  beforeAll(async () => {
    train = await browser.newPage();
    train.on('pageerror', (e) => trainErrors.push(e.message));
    await train.goto(new URL('train.html', server.resolvedUrls?.local[0]).href);
  });

  it('trains on the bundled names in a Worker, with live progress, samples and a falling loss; the main thread never stalls', async () => {
    await train.fill('#hidden', '32');
    await train.fill('#seqLen', '16');
    await train.fill('#batch', '16');
    await train.fill('#steps', '80');
    // Longest gap between animation frames while training: the page must keep drawing.
    await train.evaluate(() => {
      const w = window as unknown as { maxGap: number; last: number };
      w.maxGap = 0;
      w.last = performance.now();
      const tick = (t: number) => {
        w.maxGap = Math.max(w.maxGap, t - w.last);
        w.last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const started = Date.now();
    await train.click('#start');
    await train.waitForFunction(() => Number(document.body.dataset.step ?? 0) >= 20, undefined, { timeout: 60_000 });
    const tensorsEarly = await dataset('tensors');
    // Pause: the step count holds; resume: it moves on.
    await train.click('#pause');
    await train.waitForSelector('body[data-state="paused"]');
    const held = await dataset('step');
    await train.waitForTimeout(400);
    expect(await dataset('step')).toBe(held);
    await train.click('#resume');
    await train.waitForSelector('body[data-state="done"]', { timeout: 90_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(await dataset('step')).toBe(80);
    expect(await dataset('loss')).toBeLessThan(await dataset('firstLoss'));
    // Validation perplexity (held-out 10% of the names) falls by at least a quarter over the budget.
    expect(await dataset('lastVal')).toBeLessThan(0.75 * (await dataset('firstVal')));
    expect(await dataset('samples')).toBeGreaterThanOrEqual(1);
    // The hidden-unit view: the newest sample coloured by the unit of this model that tracks the feature.
    expect(await train.textContent('#unit-info')).toMatch(
      /step \d+: unit \d+ tracks “line-end” with correlation -?\d\.\d\d/,
    );
    const colours = await train.$$eval('#units span', (els) => els.map((e) => (e as HTMLElement).style.background));
    expect(colours.length).toBeGreaterThan(20);
    expect(colours.every((c) => c.startsWith('rgb'))).toBe(true);
    // At most one progress message per 100 ms (plus the last), and no tensors piling up in the Worker.
    expect(await dataset('progressCount')).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
    expect(await dataset('tensors')).toBeLessThanOrEqual(tensorsEarly + 2);
    const maxGap = await train.evaluate(() => (window as unknown as { maxGap: number }).maxGap);
    console.log(`Train page: longest gap between animation frames while training ${maxGap.toFixed(0)} ms`);
    expect(maxGap).toBeLessThan(100);
    expect(await train.textContent('#status')).toMatch(/done/);
    // backend-js trains on every core: kernel threads are Workers inside the training Worker.
    const cores = await train.evaluate(() => navigator.hardwareConcurrency);
    expect(await dataset('threads')).toBe(cores);
    expect(await train.textContent('#engine')).toContain(
      cores > 1 ? `${cores} threads (Workers inside this Worker)` : 'one thread',
    );
    // The README's picture of the page after training, made here rather than by hand.
    await train.screenshot({ path: fileURLToPath(new URL('../train-page.png', import.meta.url)), fullPage: true });
  }, 120_000);

  it('downloads a checkpoint recur reads, and continues training from it', async () => {
    await train.waitForSelector('body[data-checkpoint="80"]');
    const [download] = await Promise.all([train.waitForEvent('download'), train.click('#save')]);
    const file = await download.path();
    const c = decodeCheckpoint(new Uint8Array(readFileSync(file)), 'download');
    expect(c.step).toBe(80);
    expect(c.vocab?.tokens.length).toBeGreaterThan(20);
    expect(c.optimizer?.name).toBe('Adam');
    for (const t of Object.values(c.model)) t.dispose();
    await train.setInputFiles('#resume-file', file);
    await train.fill('#steps', '10');
    await train.click('#start');
    await train.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await dataset('checkpoint')).toBe(90);
  }, 90_000);

  it('Stop ends a run part-way, and keeps its checkpoint', async () => {
    await train.fill('#steps', '400');
    await train.click('#start');
    await train.waitForFunction(() => Number(document.body.dataset.step ?? 0) >= 5, undefined, { timeout: 60_000 });
    await train.click('#stop');
    await train.waitForSelector('body[data-state="stopped"]', { timeout: 30_000 });
    const stoppedAt = await dataset('step');
    expect(stoppedAt).toBeLessThan(400);
    await train.waitForTimeout(300);
    expect(await dataset('step')).toBe(stoppedAt);
    // This run continued from the step-80 file still chosen: its checkpoint is where it stopped.
    expect(await dataset('checkpoint')).toBe(stoppedAt);
    expect(stoppedAt).toBeGreaterThan(80);
  }, 90_000);

  it('exports ONNX from the page, and a reload continues the run kept in IndexedDB', async () => {
    const [onnxDownload] = await Promise.all([train.waitForEvent('download'), train.click('#onnx')]);
    const model = OnnxModel.load(new Uint8Array(readFileSync(await onnxDownload.path())));
    expect(model.opCounts().LSTM).toBe(1);
    expect(JSON.parse(model.metadata.vocab).format).toBe('recur-vocab');
    model.dispose();
    const kept = await dataset('checkpoint');
    await train.waitForSelector(`body[data-saved="${kept}"]`);
    await train.reload();
    await train.waitForSelector('#restore:not([disabled])');
    expect(await train.textContent('#restore')).toContain(`step ${kept}`);
    await train.fill('#steps', '5');
    await train.click('#restore');
    await train.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await dataset('checkpoint')).toBe(kept + 5);
  }, 90_000);

  it('a run continued from its checkpoint takes the same steps, with the same losses, as one that never stopped', async () => {
    await train.setInputFiles('#resume-file', []); // fresh weights from the seed
    await train.fill('#seed', '7');
    const run = async (steps: number, how: '#start' | '#restore') => {
      await train.fill('#steps', String(steps));
      await train.click(how);
      await train.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
      return JSON.parse((await train.evaluate(() => document.body.dataset.losses)) ?? '{}') as {
        firstStep: number;
        values: number[];
      };
    };
    const whole = await run(12, '#start');
    expect(whole.firstStep).toBe(1);
    expect(whole.values).toHaveLength(12);
    const first = await run(6, '#start');
    expect(first.values).toEqual(whole.values.slice(0, 6)); // the seed fixes the start
    await train.waitForSelector('body[data-saved="6"]');
    const rest = await run(6, '#restore'); // from the checkpoint kept in IndexedDB
    expect(rest.firstStep).toBe(7);
    expect(rest.values).toEqual(whole.values.slice(6));
  }, 120_000);

  it('trains the spam classifier on the SpamAssassin bodies: held-out accuracy beats always answering ham', async () => {
    await train.setInputFiles('#resume-file', []);
    await train.selectOption('#corpus-kind', 'spam');
    for (const [id, v] of [
      ['hidden', 16],
      ['embedding', 16],
      ['seqLen', 32],
      ['batch', 32],
      ['steps', 60],
      ['seed', 1],
    ] as const)
      await train.fill(`#${id}`, String(v));
    await train.click('#start');
    await train.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
    const engine = (await train.textContent('#engine')) ?? '';
    expect(engine).toMatch(/\d[\d,]* training and \d[\d,]* held-out messages \((\d+)% spam\)/);
    const spamShare = Number(/\((\d+)% spam\)/.exec(engine)?.[1]) / 100;
    const accuracy = await dataset('lastVal');
    console.log(
      `Train page, spam classifier: held-out accuracy ${(accuracy * 100).toFixed(1)}% (always ham: ${((1 - spamShare) * 100).toFixed(0)}%)`,
    );
    expect(accuracy).toBeGreaterThan(1 - spamShare + 0.05);
    expect(await train.textContent('#samples')).toMatch(/(SPAM|ham) \d+% \(is (spam|ham)\)/);
    // This model has no ONNX export: the page says why, and the run is unharmed.
    await train.click('#onnx');
    await train.waitForFunction(() =>
      /ONNX export covers the language model/.test(document.getElementById('status')?.textContent ?? ''),
    );
    await train.selectOption('#corpus-kind', 'names');
  }, 150_000);

  it('continues training from an ONNX file it exported (lifted into layers), and keeps the run as ONNX', async () => {
    await train.setInputFiles('#resume-file', []);
    await train.fill('#seed', '1');
    await train.fill('#steps', '10');
    await train.click('#start');
    await train.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    const [exported] = await Promise.all([train.waitForEvent('download'), train.click('#onnx')]);
    const onnxFile = join(mkdtempSync(join(tmpdir(), 'recur-onnx-')), exported.suggestedFilename());
    await exported.saveAs(onnxFile);
    await train.setInputFiles('#resume-file', onnxFile);
    await train.fill('#steps', '40');
    await train.click('#start');
    await train.waitForSelector('body[data-state="done"]', { timeout: 90_000 });
    expect(await train.textContent('#engine')).toContain('an ONNX graph: Embedding → LSTM → Linear');
    const { values } = JSON.parse((await train.evaluate(() => document.body.dataset.losses)) ?? '{}') as {
      values: number[];
    };
    expect(values).toHaveLength(40);
    expect(mean(values.slice(-10))).toBeLessThan(mean(values.slice(0, 10)));
    const [kept] = await Promise.all([train.waitForEvent('download'), train.click('#save')]);
    expect(kept.suggestedFilename()).toMatch(/\.onnx$/);
    const model = OnnxModel.load(new Uint8Array(readFileSync(await kept.path())));
    expect(JSON.parse(model.metadata.vocab).format).toBe('recur-vocab');
    model.dispose();
  }, 150_000);

  it('trains a Keras / TensorFlow.js model file (model.json and weights) on the names, and keeps it as a model file with its vocabulary', async () => {
    // A char LM written by @recur/keras as tfjs files, with room for the names' 55 symbols.
    const model = new Sequential([
      new Embedding({ inputDim: 60, outputDim: 16, inputShape: [null] }),
      new KerasLSTM({ units: 32, returnSequences: true }),
      new Dense({ units: 60, activation: 'softmax' }),
    ]);
    const saved = await model.save(undefined, { format: 'tfjs' });
    const dir = mkdtempSync(join(tmpdir(), 'recur-tfjs-'));
    const paths = Object.entries(saved.files).map(([name, bytes]) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    });
    await train.setInputFiles('#resume-file', paths);
    await train.fill('#steps', '30');
    await train.click('#start');
    await train.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
    expect(await train.textContent('#engine')).toContain('a Keras model: Embedding → LSTM → Dense');
    const { values } = JSON.parse((await train.evaluate(() => document.body.dataset.losses)) ?? '{}') as {
      values: number[];
    };
    expect(mean(values.slice(-8))).toBeLessThan(mean(values.slice(0, 8)));
    expect(await dataset('samples')).toBeGreaterThanOrEqual(1);
    const [kept] = await Promise.all([train.waitForEvent('download'), train.click('#save')]);
    const again = await loadModel(new Uint8Array(readFileSync(await kept.path())));
    expect(again.userDefinedMetadata?.vocab).toMatchObject({ format: 'recur-vocab' });
    expect(again.countParams()).toBe(model.countParams());
    await train.setInputFiles('#resume-file', []);
  }, 150_000);

  it('raised no errors in the Train page', () => {
    if (trainErrors.length) console.log(trainErrors);
    expect(trainErrors).toEqual([]);
  });
});
