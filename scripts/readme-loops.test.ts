import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { numTensors } from '@recur/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every training loop the READMEs and guides show, run as written — only its epoch count changed —
 * for about 1,000 steps: the live-tensor count it leaves behind must be the same as after a few
 * steps. (A loop that leaked one tensor a step would leave about 1,000 more.) Each block is written
 * to a module and imported, as scripts/doc-examples.test.ts does.
 */
const root = resolve(__dirname, '..');
const dir = join(root, 'scripts', '.readme-loops');

interface Loop {
  /** The document and the fenced block (the first of its language that contains `marker`). */
  file: string;
  lang: 'js' | 'ts';
  marker: string;
  /** The loop's epoch count in the text, and the one to run instead. */
  epochs: RegExp;
  set: (n: number) => string;
  /** Steps an epoch takes (from the data the block builds), to reach about 1,000 steps. */
  stepsPerEpoch: number;
}

const LOOPS: Loop[] = [
  {
    // 480 tokens in 4 streams of 120, windows of 16: 7 windows an epoch.
    file: 'packages/train/README.md',
    lang: 'js',
    marker: 'fit({',
    epochs: /epochs: 5,/,
    set: (n) => `epochs: ${n},`,
    stepsPerEpoch: 7,
  },
  {
    // A hand-written loop: one step an epoch.
    file: 'docs/guides/from-pytorch.md',
    lang: 'ts',
    marker: 'for (let epoch',
    epochs: /epoch < 30;/,
    set: (n) => `epoch < ${n};`,
    stepsPerEpoch: 1,
  },
  {
    // 256 rows, 20% held out, batches of 32: 7 steps an epoch.
    file: 'docs/guides/from-keras.md',
    lang: 'ts',
    marker: 'model.fit(',
    epochs: /epochs: 3,/,
    set: (n) => `epochs: ${n},`,
    stepsPerEpoch: 7,
  },
  {
    // 200 windows, 10% held out, batches of 16: 12 steps an epoch.
    file: 'docs/guides/from-tfjs.md',
    lang: 'ts',
    marker: 'model.fit(',
    epochs: /epochs: 5,/,
    set: (n) => `epochs: ${n},`,
    stepsPerEpoch: 12,
  },
];

function block(loop: Loop): string {
  const text = readFileSync(join(root, loop.file), 'utf8');
  const blocks = [...text.matchAll(new RegExp(`\`\`\`${loop.lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);
  const code = blocks.find((b) => b.includes(loop.marker));
  if (!code) throw new Error(`${loop.file}: no \`\`\`${loop.lang} block with ${loop.marker}`);
  if (!loop.epochs.test(code))
    throw new Error(`${loop.file}: the loop's epoch count ${loop.epochs} is not in the block`);
  return code;
}

let serial = 0;
/** Runs the block with `epochs` epochs (console quiet); the live tensors it leaves behind. */
async function leftBehind(loop: Loop, epochs: number): Promise<number> {
  const file = join(dir, `loop-${serial++}.ts`);
  writeFileSync(file, `${block(loop).replace(loop.epochs, loop.set(epochs))}\nexport {};\n`);
  const log = console.log;
  console.log = () => {};
  const before = numTensors();
  try {
    await import(file);
  } finally {
    console.log = log;
  }
  return numTensors() - before;
}

describe('the documented training loops keep the live-tensor count flat', () => {
  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(LOOPS.map((l) => [l.file, l] as const))(
    '%s: about 1,000 steps leave what 2 epochs leave',
    async (_file, loop) => {
      await leftBehind(loop, 2); // warm-up: anything made once per process
      const few = await leftBehind(loop, 2);
      const many = await leftBehind(loop, Math.ceil(1000 / loop.stepsPerEpoch));
      expect(many).toBe(few);
    },
    600_000,
  );
});
