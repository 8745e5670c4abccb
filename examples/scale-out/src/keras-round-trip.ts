import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bidirectional,
  Dense,
  Embedding,
  fromTorchForm,
  GRU,
  LSTM,
  type Model,
  Sequential,
  TimeDistributed,
  toTorchForm,
} from '@recur/keras';
import { manualSeed, Rng, type Tensor, tensor, tidy } from '@recur/tensor';
import { loadCheckpoint, saveCheckpoint } from '@recur/train/node';
import { runPython, type ScaleOutOptions, torchOutputs } from './scale-out';

export interface KerasRoundTrip {
  name: string;
  ddpLosses: number[];
  singleLosses: number[];
  /** Largest |recur predict − PyTorch predict| on the weights that came back. */
  predictDiff: number;
}

/** Padded id rows (0 after each sequence's length), with per-token tags and per-sequence labels. */
function data(n: number, seed: number) {
  const rng = new Rng(seed);
  const T = 9;
  const x: number[][] = [];
  const tags: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rng.next() * (T - 2));
    const row = Array.from({ length: T }, (_, t) => (t < len ? 1 + Math.floor(rng.next() * 15) : 0));
    x.push(row);
    tags.push(row.map((v, t) => (t < len ? v % 3 : -100)));
    labels.push(row.includes(7) ? 1 : row.includes(8) ? 2 : 0);
  }
  return { x, tags, labels };
}

function tagger(): Model {
  return new Sequential([
    new Embedding({ inputDim: 16, outputDim: 8, maskZero: true, inputShape: [null] }),
    new Bidirectional(new LSTM({ units: 6, returnSequences: true })),
    new TimeDistributed(new Dense({ units: 3, activation: 'softmax' })),
  ]);
}

function classifier(): Model {
  return new Sequential([
    new Embedding({ inputDim: 16, outputDim: 8, maskZero: true, inputShape: [null] }),
    new GRU({ units: 10 }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
}

/**
 * A Keras-door model trained with compile + fit here, written in PyTorch's form
 * (`toTorchForm`), trained under DDP, read back with `fromTorchForm`.
 */
export async function kerasRoundTrip(o: ScaleOutOptions, which: 'tagger' | 'classifier'): Promise<KerasRoundTrip> {
  const dir = mkdtempSync(join(tmpdir(), `recur-keras-${which}-`));
  manualSeed(11);
  const d = data(128, 5);
  const model = which === 'tagger' ? tagger() : classifier();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const x = tensor(d.x, { dtype: 'int32' });
  const y =
    which === 'tagger'
      ? tensor(
          d.tags.map((r) => r.map((v) => Math.max(v, 0))),
          { dtype: 'int32' },
        )
      : tensor(d.labels, { dtype: 'int32' });
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
  const form = toTorchForm(model);
  const start = join(dir, 'start.safetensors');
  saveCheckpoint(start, { model: form.state, step: 8, extra: { model: form.config } });
  writeFileSync(join(dir, 'data.json'), JSON.stringify({ x: d.x, y: which === 'tagger' ? d.tags : d.labels }));

  const run = (processes: number, out: string) => {
    runPython(o, [
      '-m',
      'recur_torch.train_ddp',
      '--checkpoint',
      start,
      '--data',
      join(dir, 'data.json'),
      '--out',
      join(dir, out),
      '--steps',
      String(o.ddpSteps),
      '--batch-size',
      '32',
      '--lr',
      '0.01',
      '--spawn',
      String(processes),
      '--log',
      join(dir, `${out}.json`),
    ]);
    return JSON.parse(readFileSync(join(dir, `${out}.json`), 'utf8')).losses as number[];
  };
  const ddpLosses = run(o.processes, 'ddp.safetensors');
  const singleLosses = run(1, 'single.safetensors');

  const back = loadCheckpoint(join(dir, 'ddp.safetensors'));
  fromTorchForm(model, back.model);
  const probe = d.x.slice(0, 6);
  const theirs = torchOutputs(o, join(dir, 'ddp.safetensors'), probe, dir);
  const predictDiff = tidy(() => {
    const mine = (model.predict(tensor(probe, { dtype: 'int32' })) as Tensor).dataSync();
    if (mine.length !== theirs.length) throw new Error(`predict gave ${mine.length} values, PyTorch ${theirs.length}`);
    return Math.max(...Array.from(mine, (v, i) => Math.abs(v - theirs[i])));
  });
  o.log?.(
    `${which}: DDP losses ${ddpLosses.map((l) => l.toFixed(4)).join(' ')}; back in recur, predict within ${predictDiff.toExponential(1)} of PyTorch's`,
  );
  return { name: which, ddpLosses, singleLosses, predictDiff };
}
