// `pnpm bench:web`: the char-LM training step in the Train page's Worker (headless Chromium,
// Debian's) next to the same step in Node, and the same model on tfjs-layers in a Worker of the
// same browser (bench.html), in one run. Prints tokens/s and the ratios. Speed is measured here,
// never asserted in a test.
import { fileURLToPath } from 'node:url';
import { valueAndGradsOf } from '@recur/autograd';
import { JsBackend, wasmReady, wasmVariant } from '@recur/backend-js';
import { lmWindows, Vocab } from '@recur/data';
import { setBackend, tidy } from '@recur/tensor';
import { Adam, RecurrentLM } from '@recur/train';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { loadNames } from '../src/corpus';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEPS = 30;
/** tfjs-layers steps (seconds each on its CPU backend). */
const TFJS_STEPS = 5;
const [HIDDEN, EMBEDDING, SEQ, BATCH] = [256, 64, 64, 32];

/** Tokens per second of the median of STEPS training steps (after 3 warm-up steps) in this process. */
async function nodeTokensPerSecond(threads: number): Promise<number> {
  await wasmReady(threads);
  setBackend(new JsBackend({ threads }));
  const text = `${loadNames(1).join('\n')}\n`;
  const vocab = Vocab.build([text], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
  const lm = new RecurrentLM({ vocabSize: vocab.size, embeddingDim: EMBEDDING, hiddenSize: HIDDEN, cell: 'LSTM' });
  const optimizer = new Adam(lm.parameters(), { lr: 0.01 });
  const windows = lmWindows(vocab.encode(text), { batchSize: BATCH, seqLen: SEQ });
  const rates: number[] = [];
  for (let step = 0; step < STEPS + 3; step++) {
    const started = performance.now();
    const w = windows.next().value;
    if (!w) break;
    tidy(() => {
      const { grads } = valueAndGradsOf(
        () => lm.loss(w.x, w.y).loss,
        lm.parameters().map((p) => p.value),
      );
      optimizer.step(grads);
    });
    w.x.dispose();
    w.y.dispose();
    if (step >= 3) rates.push((BATCH * SEQ) / ((performance.now() - started) / 1000));
  }
  // The median step, as the page reports it: one slow moment of a shared machine does not move it.
  return rates.sort((a, b) => a - b)[rates.length >> 1];
}

interface PageRate {
  tokensPerSecond: number;
  backend: string;
  threads?: string;
}

async function inBrowser<T>(run: (page: import('playwright-core').Page, base: string) => Promise<T>): Promise<T> {
  const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
  await build({ configFile, logLevel: 'error' });
  const server = await preview({ configFile, preview: { port: 0, strictPort: false }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    return await run(await browser.newPage(), server.resolvedUrls?.local[0] ?? '');
  } finally {
    await browser.close();
    await server.close();
  }
}

async function pageTokensPerSecond(): Promise<PageRate> {
  return inBrowser(async (page, base) => {
    await page.goto(new URL('train.html', base).href);
    for (const [id, v] of [
      ['hidden', HIDDEN],
      ['embedding', EMBEDDING],
      ['seqLen', SEQ],
      ['batch', BATCH],
      ['steps', STEPS + 3],
    ] as const)
      await page.fill(`#${id}`, String(v));
    await page.click('#start');
    await page.waitForSelector('body[data-state="done"]', { timeout: 600_000 });
    // The page's rate of its median training step (after three warm-up steps, as the Node runs),
    // from its last progress message: samples and validation are left out on both sides.
    const tokensPerSecond = Number(await page.evaluate(() => document.body.dataset.stepTokensPerSecond));
    const backend = String(await page.evaluate(() => document.body.dataset.backend));
    const threads = String(await page.evaluate(() => document.body.dataset.threads));
    return { tokensPerSecond, backend, threads };
  });
}

/** The same model on tfjs-layers in a Worker of the same browser (bench.html). */
async function tfjsLayersTokensPerSecond(vocab: number, backend: 'webgl' | 'cpu'): Promise<PageRate> {
  return inBrowser(async (page, base) => {
    const sizes = `hidden=${HIDDEN}&embedding=${EMBEDDING}&seqLen=${SEQ}&batch=${BATCH}&vocab=${vocab}&steps=${TFJS_STEPS}&backend=${backend}`;
    await page.goto(new URL(`bench.html?${sizes}`, base).href);
    await page.click('#run');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 1_200_000 });
    if ((await page.evaluate(() => document.body.dataset.state)) === 'error')
      throw new Error(String(await page.textContent('#result')));
    const tokensPerSecond = Number(await page.evaluate(() => document.body.dataset.tokensPerSecond));
    const ran = `tfjs-layers on TensorFlow.js ${await page.evaluate(() => document.body.dataset.backend)}`;
    return { tokensPerSecond, backend: ran };
  });
}

const page = await pageTokensPerSecond();
const vocabSize = Vocab.build([`${loadNames(1).join('\n')}\n`], {
  tokenizer: 'char',
  specials: { pad: null, bos: null, eos: null },
}).size;
// Headless Chromium here has no GPU: its WebGL is SwiftShader, in software. Both tfjs backends run.
const tfjsPages = [
  await tfjsLayersTokensPerSecond(vocabSize, 'webgl'),
  await tfjsLayersTokensPerSecond(vocabSize, 'cpu'),
];
const one = await nodeTokensPerSecond(1);
const two = await nodeTokensPerSecond(2);
console.log(
  `char-LM training step (Embedding ${EMBEDDING} → LSTM ${HIDDEN} → Dense, batch ${BATCH} × ${SEQ}, Adam), ${STEPS} steps`,
);
console.log(`Node ${process.version}, backend-js WebAssembly: ${wasmVariant()}\n`);
const nodeSame = Number(page.threads) > 1 ? two : one;
console.log(`| where | tokens/s | × Node (1 thread) | × Node (${page.threads} thread(s), as the page) |`);
console.log('|---|---:|---:|---:|');
const row = (where: string, rate: number) =>
  console.log(`| ${where} | ${Math.round(rate)} | ${(rate / one).toFixed(2)} | ${(rate / nodeSame).toFixed(2)} |`);
row(`Train page Worker, Chromium (${page.backend}, ${page.threads} thread(s))`, page.tokensPerSecond);
row('Node, 1 thread', one);
row('Node, 2 threads', two);
for (const t of tfjsPages) row(`the same model, ${t.backend}, in a Worker of the same Chromium`, t.tokensPerSecond);
const fastest = tfjsPages.reduce((a, b) => (a.tokensPerSecond > b.tokensPerSecond ? a : b));
console.log(
  `\nrecur in the page is ${(page.tokensPerSecond / fastest.tokensPerSecond).toFixed(1)}× the faster tfjs-layers run in the page (${fastest.backend}; ${TFJS_STEPS} steps each).`,
);
process.exit(0);
