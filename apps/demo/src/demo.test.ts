import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numTensors } from '@recur/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryMetrics, classify } from './classify';
import { compareBackends } from './compare';
import { messageBody } from './corpus';
import { exportLM } from './export-lm';
import { colouredText, hiddenUnitPage, rankUnits } from './hidden-units';
import { loadLM } from './lm-checkpoint';
import { sample } from './sample';
import { lineChart } from './svg-chart';
import { trainLM } from './train-lm';
import { gradientReach } from './vanishing-gradients';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const quiet = { log: () => {}, interactive: false };
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

let dir: string;
let checkpoint: string;
let trained: Awaited<ReturnType<typeof trainLM>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recur-demo-'));
  trained = await trainLM(
    {
      hidden: 48,
      embedding: 16,
      cell: 'LSTM',
      epochs: 3,
      batch: 32,
      seqLen: 32,
      lr: 0.01,
      seed: 3,
      out: join(dir, 'lm'),
      maxBatches: 25,
      samples: 5,
    },
    quiet,
  );
  checkpoint = trained.checkpoint;
});

describe('train-lm', () => {
  it('learns the names: validation perplexity falls far below a uniform guess over the characters', () => {
    const [first, , last] = trained.epochs;
    const { vocab } = loadLM(checkpoint);
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.valPerplexity).toBeLessThan(first.valPerplexity ?? Number.POSITIVE_INFINITY);
    expect(last.valPerplexity).toBeLessThan(vocab.size / 3);
    expect(trained.samples).toHaveLength(5);
  });

  it('leaves a loadable checkpoint and a loss curve, and no temporary files', () => {
    const { lm, meta } = loadLM(checkpoint);
    expect(meta.history).toHaveLength(3);
    expect(lm.config.hiddenSize).toBe(48);
    lm.dispose();
    const svg = readFileSync(join(dir, 'lm', 'loss.svg'), 'utf8');
    expect(svg).toContain('<polyline');
    expect(readdirSync(join(dir, 'lm')).sort()).toEqual(['lm.safetensors', 'loss.svg']);
  });

  it('Ctrl-C stops after the current batch, saves the checkpoint and exits with 130', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(
      process.execPath,
      [CLI, 'train-lm', '--hidden', '32', '--epochs', '50', '--samples', '1', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (/epoch 1\/50/.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stdout).toContain('interrupted: checkpoint saved');
    const { lm, meta } = loadLM(join(out, 'lm.safetensors'));
    expect(meta.history.length).toBeGreaterThanOrEqual(1);
    lm.dispose();
    expect(readdirSync(out).filter((f) => !['lm.safetensors', 'loss.svg'].includes(f))).toEqual([]);
  }, 60_000);
});

describe('sample', () => {
  it('streams what it returns, starting with the prompt; the same seed gives the same text', async () => {
    let streamed = '';
    const text = await sample(
      { checkpoint, prompt: 'Ma', length: 40, temperature: 0.8, topK: 10, seed: 4 },
      (t) => (streamed += t),
    );
    expect(streamed).toBe(text);
    expect(text.startsWith('Ma')).toBe(true);
    expect(text.length).toBeGreaterThan(2);
    expect(await sample({ checkpoint, prompt: 'Ma', length: 40, temperature: 0.8, topK: 10, seed: 4 }, () => {})).toBe(
      text,
    );
  });

  it('refuses a prompt with characters the model never saw', async () => {
    await expect(sample({ checkpoint, prompt: 'Ma€', length: 5, temperature: 1, seed: 1 }, () => {})).rejects.toThrow(
      /never saw: "€"/,
    );
  });
});

describe('export', () => {
  it('writes ONNX that onnxruntime-node runs to within float32 rounding of recur', async () => {
    const r = await exportLM(checkpoint, join(dir, 'lm.onnx'), quiet);
    expect(existsSync(r.path)).toBe(true);
    expect(r.maxAbsDiff).toBeLessThan(1e-4);
  });
});

describe('compare', () => {
  it('backend-js, TensorFlow.js (cpu, wasm) and onnxruntime agree on the same batch', async () => {
    const before = numTensors();
    const rows = await compareBackends(checkpoint, 1, quiet);
    expect(rows.map((r) => r.backend)).toEqual([
      'recur on backend-js',
      'recur on TensorFlow.js (tfjs)',
      'recur on TensorFlow.js (tfjs-wasm)',
      'onnxruntime-node (exported)',
    ]);
    for (const r of rows) expect(r.maxAbsDiff, r.backend).toBeLessThan(1e-4);
    expect(numTensors()).toBe(before);
  });
});

describe('classify', () => {
  it('computes precision, recall and F1 with spam as the positive class', () => {
    const m = binaryMetrics([1, 1, 1, 0, 0, 0, 0, 1], [1, 1, 0, 0, 1, 0, 0, 0]);
    expect(m.confusion).toEqual([
      [3, 1],
      [2, 2],
    ]);
    expect(m.accuracy).toBeCloseTo(5 / 8);
    expect(m.precision).toBeCloseTo(2 / 3);
    expect(m.recall).toBeCloseTo(2 / 4);
    expect(m.f1).toBeCloseTo((2 * (2 / 3) * 0.5) / (2 / 3 + 0.5));
  });

  it('reads message bodies, not headers', () => {
    expect(messageBody('From: a@b\nSubject: hi\n\nHello there\nbye')).toBe('Hello there\nbye');
  });

  it('trains on packed batches and beats the majority class on held-out mail', async () => {
    const r = await classify(
      {
        limit: 600,
        maxlen: 40,
        vocabSize: 2000,
        embedding: 16,
        hidden: 16,
        epochs: 2,
        batch: 32,
        lr: 0.01,
        seed: 2,
        out: join(dir, 'spam'),
        predict: ['win a free prize now', 'see you at the meeting'],
      },
      quiet,
    );
    expect(r.metrics.accuracy).toBeGreaterThan(0.75); // about two thirds of the corpus is ham
    expect(r.predictions).toHaveLength(2);
    for (const p of r.predictions) expect(p.spam).toBeGreaterThanOrEqual(0);
    expect(existsSync(r.checkpoint)).toBe(true);
  }, 60_000);
});

describe('pictures', () => {
  it('finds the unit that was planted to track a feature', () => {
    const feature = [0, 1, 1, 0, 1, 0, 0, 1];
    const states = feature.map((f, t) => [Math.sin(t), 0.2 * t, 2 * f - 1 + 0.01 * t]);
    expect(rankUnits(states, feature)[0].unit).toBe(2);
    expect(colouredText('a\n', [1, -1])).toContain('rgb(255,');
  });

  it('writes the hidden-unit page for a trained model', () => {
    const out = join(dir, 'units.html');
    const ranked = hiddenUnitPage({ checkpoint, feature: 'line-end', top: 2, out }, quiet);
    expect(ranked).toHaveLength(2);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`unit ${ranked[0].unit}`);
    expect(html.match(/<span/g)?.length).toBeGreaterThan(100);
  });

  it('the vanishing-gradient picture: a SimpleRNN loses the gradient far faster than LSTM and GRU', () => {
    const r = gradientReach({ steps: 40, hidden: 32, batch: 4, seed: 1, out: join(dir, 'grad.svg') }, quiet);
    const reach = (v: number[]) => v[39] / v[0];
    expect(reach(r.RNN)).toBeLessThan(1e-6);
    expect(reach(r.LSTM)).toBeGreaterThan(100 * reach(r.RNN));
    expect(reach(r.GRU)).toBeGreaterThan(100 * reach(r.RNN));
    expect(readFileSync(join(dir, 'grad.svg'), 'utf8').match(/<polyline/g)).toHaveLength(3);
  });

  it('charts every series', () => {
    const svg = lineChart(
      [
        { label: 'a', values: [3, 2, 1] },
        { label: 'b', values: [1, 2, Number.NaN] },
      ],
      { title: 't', xLabel: 'x', yLabel: 'y' },
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).not.toContain('NaN');
  });
});

describe('the command line', () => {
  it('every command has --help', () => {
    for (const command of ['train-lm', 'sample', 'classify', 'export', 'compare', 'units', 'gradients', 'hello']) {
      const r = cli(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout).toContain(`Usage: recur-demo ${command}`);
    }
  });

  it('a bad number, an unknown flag, a bad choice or a missing file is a clear message and exit code 2', () => {
    const corrupt = join(dir, 'corrupt.safetensors');
    const good = readFileSync(checkpoint);
    writeFileSync(corrupt, Buffer.concat([good.subarray(0, 20), Buffer.from('}}}}'), good.subarray(24)]));
    const cases: [string[], RegExp][] = [
      [['train-lm', '--epochs', 'abc'], /--epochs.*expected an integer from 1 to 1000, got 'abc'/],
      [['train-lm', '--lr', '-1'], /expected a number > 0/],
      [['train-lm', '--frobnicate'], /unknown option '--frobnicate'/],
      [['train-lm', '--cell', 'LSTMX'], /Allowed choices are LSTM, GRU, RNN/],
      [['sample', '--checkpoint', join(dir, 'nope.safetensors')], /checkpoint '.*nope.safetensors' does not exist/],
      [['sample', '--checkpoint', checkpoint, '--temperature', 'hot'], /expected a number/],
      // A corrupt checkpoint is bad input too: the reader's FormatError, one line.
      [['sample', '--checkpoint', corrupt], /corrupt\.safetensors.*the JSON header .* does not parse/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(cli('sample', '--checkpoint', corrupt).stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sample streams text from a checkpoint', () => {
    const r = cli('sample', '--checkpoint', checkpoint, '--prompt', 'An', '--length', '30', '--seed', '2');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('An')).toBe(true);
  });
});
