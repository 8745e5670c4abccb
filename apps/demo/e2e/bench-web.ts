// `pnpm bench:web`: the char-LM training step in the Train page's Worker (headless Chromium,
// Debian's) next to the same step in Node, in one run. Prints tokens/s and the ratio page / Node.
// Speed is measured here, never asserted in a test.
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
const [HIDDEN, EMBEDDING, SEQ, BATCH] = [256, 64, 64, 32];

/** Tokens per second of STEPS training steps (after 3 warm-up steps) in this process. */
async function nodeTokensPerSecond(threads: number): Promise<number> {
  await wasmReady(threads);
  setBackend(new JsBackend({ threads }));
  const text = `${loadNames(1).join('\n')}\n`;
  const vocab = Vocab.build([text], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
  const lm = new RecurrentLM({ vocabSize: vocab.size, embeddingDim: EMBEDDING, hiddenSize: HIDDEN, cell: 'LSTM' });
  const optimizer = new Adam(lm.parameters(), { lr: 0.01 });
  const windows = lmWindows(vocab.encode(text), { batchSize: BATCH, seqLen: SEQ });
  let started = 0;
  for (let step = 0; step < STEPS + 3; step++) {
    if (step === 3) started = performance.now();
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
  }
  return (STEPS * BATCH * SEQ) / ((performance.now() - started) / 1000);
}

async function pageTokensPerSecond(): Promise<{ tokensPerSecond: number; backend: string }> {
  const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
  await build({ configFile, logLevel: 'error' });
  const server = await preview({ configFile, preview: { port: 0, strictPort: false }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(new URL('train.html', server.resolvedUrls?.local[0]).href);
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
    // The page's own rate over the run (its ETA clock), from the last progress message.
    const tokensPerSecond = Number(await page.evaluate(() => document.body.dataset.tokensPerSecond));
    const backend = String(await page.evaluate(() => document.body.dataset.backend));
    return { tokensPerSecond, backend };
  } finally {
    await browser.close();
    await server.close();
  }
}

const page = await pageTokensPerSecond();
const one = await nodeTokensPerSecond(1);
const two = await nodeTokensPerSecond(2);
console.log(
  `char-LM training step (Embedding ${EMBEDDING} → LSTM ${HIDDEN} → Dense, batch ${BATCH} × ${SEQ}, Adam), ${STEPS} steps`,
);
console.log(`Node ${process.version}, backend-js WebAssembly: ${wasmVariant()}\n`);
console.log('| where | tokens/s | × Node (1 thread) |');
console.log('|---|---:|---:|');
console.log(
  `| Train page Worker, Chromium (${page.backend}) | ${Math.round(page.tokensPerSecond)} | ${(page.tokensPerSecond / one).toFixed(2)} |`,
);
console.log(`| Node, 1 thread | ${Math.round(one)} | 1.00 |`);
console.log(`| Node, 2 threads | ${Math.round(two)} | ${(two / one).toFixed(2)} |`);
process.exit(0);
