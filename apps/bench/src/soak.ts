/**
 * `pnpm soak`: long runs that must not grow. A character language model trains for 10,000
 * batches (truncated BPTT with its state carried, clipping, Adam) and then streams 10,000
 * generated tokens, on backend-js and on backend-tfjs (TensorFlow.js CPU). Every 1,000 steps it
 * prints recur's live tensors, TensorFlow.js' tensors, the process RSS and the JS heap; the
 * last columns are the growth since the 1,000-step checkpoint (after warm-up).
 *
 *   pnpm soak                      both backends, 10,000 batches and 10,000 tokens
 *   pnpm soak --batches 2000 --backend js
 */

import { JsBackend } from '@recur/backend-js';
import { TfjsBackend } from '@recur/backend-tfjs';
import { lmWindows } from '@recur/data';
import { getBackend, manualSeed, numTensors, Rng, ready, setBackend } from '@recur/tensor';
import { Adam, fit, generate, RecurrentLM, StateCarry } from '@recur/train';
import { tf, useTfjsBackend } from './tfjs';

interface Options {
  batches: number;
  tokens: number;
  backends: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { batches: 10_000, tokens: 10_000, backends: ['js', 'tfjs'] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--batches') o.batches = Number(v);
    else if (argv[i] === '--tokens') o.tokens = Number(v);
    else if (argv[i] === '--backend') o.backends = [v];
    else continue;
    i++;
  }
  for (const [k, n] of [
    ['--batches', o.batches],
    ['--tokens', o.tokens],
  ] as const)
    if (!Number.isInteger(n) || n < 1000) throw new Error(`${k} should be an integer ≥ 1000, got ${n}`);
  return o;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

class Probe {
  private first: { tensors: number; rss: number } | null = null;
  constructor(private readonly backend: string) {
    console.log(`\n### ${backend}\n`);
    console.log(
      '| phase | step | recur tensors | tf tensors | RSS MB | heap MB | tensors since step 1,000 | RSS MB since step 1,000 |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  }
  mark(phase: string, step: number): void {
    globalThis.gc?.();
    const m = process.memoryUsage();
    const tensors = numTensors();
    // The baseline is the first checkpoint after warm-up (buffers, kernel workspaces, JIT).
    if (step >= 1000) this.first ??= { tensors, rss: m.rss };
    const base = this.first ?? { tensors, rss: m.rss };
    const tfTensors = this.backend === 'js' ? '—' : String(tf.memory().numTensors);
    console.log(
      `| ${phase} | ${step.toLocaleString('en-US')} | ${tensors} | ${tfTensors} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${tensors - base.tensors} | ${mb(m.rss - base.rss)} |`,
    );
  }
}

async function soak(backend: string, o: Options): Promise<void> {
  const previous = getBackend();
  if (backend === 'tfjs') {
    if (!(await useTfjsBackend('cpu'))) throw new Error('TensorFlow.js CPU backend did not start');
    await ready(setBackend(new TfjsBackend()));
  } else await ready(setBackend(new JsBackend()));
  try {
    manualSeed(7);
    const rng = new Rng(7);
    // 250 windows of [8, 16] per epoch.
    const stream = Array.from({ length: 8 * 16 * 250 + 1 }, () => rng.int(48));
    const lm = new RecurrentLM({ vocabSize: 48, embeddingDim: 16, hiddenSize: 64, cell: 'LSTM' });
    const optimizer = new Adam(lm.parameters(), { lr: 0.003 });
    const carry = new StateCarry();
    const probe = new Probe(backend);
    let step = 0;
    await fit({
      model: lm,
      optimizer,
      epochs: Math.ceil(o.batches / 250),
      train: function* () {
        for (const w of lmWindows(stream, { batchSize: 8, seqLen: 16 })) {
          if (step >= o.batches) return;
          yield w;
        }
      },
      loss: (w) => {
        const out = lm.loss(w.x, w.y, { state: carry.take(w.index === 0) });
        carry.put(out.state);
        const loss = out.loss;
        w.x.dispose();
        w.y.dispose();
        return loss;
      },
      clipGradNorm: 1,
      callbacks: [
        {
          onBatchEnd: () => {
            step++;
            if (step % 1000 === 0 || step === 1) probe.mark('fit', step);
          },
        },
      ],
    });
    carry.reset();
    let tokens = 0;
    generate(lm, [1, 2, 3], {
      maxTokens: o.tokens,
      temperature: 1,
      seed: 7,
      onToken: () => {
        tokens++;
        if (tokens % 1000 === 0) probe.mark('generate', tokens);
      },
    });
    optimizer.dispose();
    lm.dispose();
  } finally {
    await ready(setBackend(previous));
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  console.log(
    `recur soak — node ${process.version}, ${o.batches.toLocaleString('en-US')} batches, ${o.tokens.toLocaleString('en-US')} generated tokens${globalThis.gc ? '' : ' (run with --expose-gc for steadier RSS)'}`,
  );
  for (const b of o.backends) await soak(b, o);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
