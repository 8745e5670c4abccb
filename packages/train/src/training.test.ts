import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lmWindows } from '@recur/data';
import { Parameter } from '@recur/layers';
import { ConfigError, manualSeed, mul, numTensors, Rng, tensor, tidy, zerosLike } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { clipGradNorm, clipGradValue } from './clip';
import { fit } from './fit';
import { generate, sampleToken } from './generate';
import { lastLogits, RecurrentLM } from './language-model';
import { EarlyStopping } from './loop/early-stopping';
import { crossEntropy } from './losses/cross-entropy';
import { loadCheckpoint, saveCheckpoint } from './node/checkpoint-file';
import { Adam } from './optimizers/adam';
import { SGD } from './optimizers/sgd';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR } from './schedules';
import { StateCarry } from './state-carry';

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(6);
const VOCAB = [...new Set(TEXT)].sort();
const IDS = [...TEXT].map((c) => VOCAB.indexOf(c));

function makeLM(seed: number, cell: 'LSTM' | 'GRU' | 'RNN' = 'LSTM') {
  manualSeed(seed);
  return new RecurrentLM({ vocabSize: VOCAB.length, embeddingDim: 6, hiddenSize: 12, cell });
}

/** Trains with truncated BPTT over LM windows; returns the loss of every step. */
async function trainLM(lm: RecurrentLM, opt: { steps?: number; epochs: number; optimizer?: Adam | SGD }) {
  const optimizer = opt.optimizer ?? new Adam(lm.parameters(), { lr: 0.01 });
  const carry = new StateCarry();
  const losses: number[] = [];
  await fit({
    model: lm,
    optimizer,
    epochs: opt.epochs,
    train: () => lmWindows(IDS, { batchSize: 4, seqLen: 10 }),
    loss: (w) => {
      const out = lm.forward(w.x, carry.take(w.index === 0));
      carry.put(out.state);
      return { loss: crossEntropy(out.logits, w.y), count: w.y.size };
    },
    callbacks: [{ onBatchEnd: (_batch, l) => void losses.push(l?.loss as number) }],
  });
  carry.reset();
  return { losses, optimizer };
}

describe('clipping and schedules', () => {
  it('clipGradNorm scales by max / (norm + 1e-6) and returns the norm before clipping', () => {
    const { norm, grads } = clipGradNorm([tensor([3, 0]), tensor([0, 4])], 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(grads[0].dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    const kept = [tensor([0.1])];
    expect(clipGradNorm(kept, 1).grads[0]).toBe(kept[0]);
    expect(() => clipGradNorm([tensor([Number.POSITIVE_INFINITY])], 1, { errorIfNonfinite: true })).toThrow(
      /total norm of the gradients is Infinity/,
    );
    expect(Array.from(clipGradValue([tensor([-3, 0.5])], 1)[0].dataSync())).toEqual([-1, 0.5]);
  });

  it('step, exponential, cosine and reduce-on-plateau schedules', () => {
    const p = [new Parameter(tensor([0]))];
    const s1 = new SGD(p, { lr: 1 });
    const step = new StepLR(s1, 2, 0.5);
    const lrs = [1, 2, 3, 4].map(() => {
      step.step();
      return s1.lr;
    });
    expect(lrs).toEqual([1, 0.5, 0.5, 0.25]);
    const s2 = new SGD(p, { lr: 1 });
    new ExponentialLR(s2, 0.9).step();
    expect(s2.lr).toBeCloseTo(0.9, 12);
    const s3 = new SGD(p, { lr: 1 });
    const cos = new CosineAnnealingLR(s3, 4);
    cos.step();
    cos.step();
    expect(s3.lr).toBeCloseTo(0.5, 12);
    const s4 = new SGD(p, { lr: 1 });
    const plateau = new ReduceLROnPlateau(s4, { patience: 1, factor: 0.5 });
    for (const m of [1, 0.9, 0.9, 0.9]) plateau.step(m);
    expect(s4.lr).toBe(0.5);
  });
});

describe('generation', () => {
  it('greedy and sampling: state carried token by token equals running the whole sequence', async () => {
    const lm = makeLM(1);
    const prompt = [1, 2, 3];
    const ids = await generate(lm, prompt, { greedy: true, maxTokens: 5 });
    tidy(() => {
      const full = lm.forward(tensor([[...prompt, ...ids.slice(0, 4)]], { dtype: 'int32' }));
      const last = Array.from(lastLogits(full.logits).dataSync());
      expect(sampleToken(last, { greedy: true })).toBe(ids[4]);
    });
    expect(await generate(lm, prompt, { topK: 1, maxTokens: 5, seed: 3 })).toEqual(ids);
    expect(await generate(lm, prompt, { topP: 1e-9, maxTokens: 5, seed: 3 })).toEqual(ids);
    const a = await generate(lm, prompt, { temperature: 1.5, maxTokens: 30, seed: 7 });
    expect(await generate(lm, prompt, { temperature: 1.5, maxTokens: 30, seed: 7 })).toEqual(a);
    expect(await generate(lm, prompt, { temperature: 1.5, maxTokens: 30, seed: 8 })).not.toEqual(a);
    const eos = ids[1];
    expect(await generate(lm, prompt, { greedy: true, maxTokens: 5, eosId: eos })).toEqual(
      ids.slice(0, ids.indexOf(eos) + 1),
    );
    expect(lm.training).toBe(true);
  });

  it('top-k and top-p only ever pick from the allowed tokens', () => {
    const logits = [5, 4, 3, -10, -10];
    for (let s = 0; s < 50; s++) {
      expect(sampleToken(logits, { topK: 2 }, new Rng(s))).toBeLessThan(2);
      expect(sampleToken(logits, { topP: 0.9 }, new Rng(s))).toBeLessThan(3);
    }
  });
});

describe('fit', () => {
  it('trains a char-LM with truncated BPTT: the loss falls', async () => {
    const lm = makeLM(2);
    const { losses, optimizer } = await trainLM(lm, { epochs: 15 });
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(last).toBeLessThan(first * 0.6);
    optimizer.dispose();
    lm.dispose();
  });

  it('is deterministic: the same seed gives bit-identical losses', async () => {
    const a = await trainLM(makeLM(3), { epochs: 2 });
    const b = await trainLM(makeLM(3), { epochs: 2 });
    expect(b.losses).toEqual(a.losses);
  });

  it('early stopping ends training when the monitored loss stops improving', async () => {
    const lm = makeLM(4);
    const opt = new SGD(lm.parameters(), { lr: 0 });
    const x = tensor([IDS.slice(0, 10)], { dtype: 'int32' });
    const y = tensor([IDS.slice(1, 11)], { dtype: 'int32' });
    const history = await fit({
      model: lm,
      optimizer: opt,
      epochs: 20,
      train: () => [0],
      validation: () => [0],
      loss: () => crossEntropy(lm.forward(x).logits, y),
      callbacks: [new EarlyStopping({ patience: 2 })],
    });
    expect(history.stoppedBy).toBe('callback');
    expect(history.epoch).toHaveLength(3);
  });

  it('a NaN loss is an error (no update), or a skipped step when asked', async () => {
    const lm = makeLM(5);
    const before = Array.from(lm.stateDict()['head.bias'].dataSync());
    const opt = new SGD(lm.parameters(), { lr: 0.1 });
    const x = tensor([IDS.slice(0, 5)], { dtype: 'int32' });
    // A loss that depends on the model but is NaN.
    const nanLoss = () =>
      mul(crossEntropy(lm.forward(x).logits, tensor([[0, 0, 0, 0, 0]], { dtype: 'int32' })), Number.NaN);
    await expect(fit({ model: lm, optimizer: opt, epochs: 1, train: () => [0], loss: nanLoss })).rejects.toThrow(
      /the loss is NaN at epoch 0, batch 0; no update was applied/,
    );
    const h = await fit({
      model: lm,
      optimizer: opt,
      epochs: 1,
      train: () => [0, 1],
      loss: nanLoss,
      skipNonFinite: true,
    });
    expect(h.steps).toBe(0);
    expect(Array.from(lm.stateDict()['head.bias'].dataSync())).toEqual(before);
  });

  it('1,000 training steps end with the live-tensor count they started with', async () => {
    manualSeed(6);
    const lm = new RecurrentLM({ vocabSize: VOCAB.length, embeddingDim: 4, hiddenSize: 6, cell: 'GRU' });
    const optimizer = new Adam(lm.parameters(), { lr: 0.01 });
    const x = tensor([IDS.slice(0, 6), IDS.slice(6, 12)], { dtype: 'int32' });
    const y = tensor([IDS.slice(1, 7), IDS.slice(7, 13)], { dtype: 'int32' });
    // One warm-up step so the optimizer's buffers exist before counting.
    optimizer.step(lm.parameters().map((p) => zerosLike(p.value)));
    const carry = new StateCarry();
    carry.put(lm.forward(x).state);
    const start = numTensors();
    await fit({
      model: lm,
      optimizer,
      epochs: 1,
      train: () => Array.from({ length: 1000 }, (_, i) => i),
      loss: (i) => {
        const out = lm.forward(x, carry.take(i % 50 === 0));
        carry.put(out.state);
        return crossEntropy(out.logits, y);
      },
      clipGradNorm: 1,
    });
    expect(numTensors()).toBe(start);
  }, 120_000);
});

describe('checkpoints', () => {
  it('safetensors round trip, and malformed files are clear errors', () => {
    const bytes = encodeSafetensors(
      {
        a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
        b: { dtype: 'int32', shape: [], data: new Int32Array([7]) },
      },
      { note: 'x' },
    );
    const back = decodeSafetensors(bytes);
    expect(Array.from(back.tensors.a.data)).toEqual([1, 2]);
    expect(back.metadata.note).toBe('x');
    expect(() => decodeSafetensors(bytes.slice(0, 5))).toThrow(/5 bytes is too short/);
    expect(() => decodeSafetensors(bytes.slice(0, bytes.length - 4))).toThrow(
      /the tensors cover 12 bytes of data, but the file holds 8 after the header/,
    );
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(huge)).toThrow(/header length 1099511627776 is over the format's limit/);
    expect(() => decodeCheckpoint(bytes)).toThrow(/not a recur checkpoint/);
  });

  it('resuming from a checkpoint reproduces the losses of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-ckpt-'));
    try {
      const full = await trainLM(makeLM(7), { epochs: 4 });
      const lm = makeLM(7);
      const first = await trainLM(lm, { epochs: 2 });
      const path = join(dir, 'model.safetensors');
      saveCheckpoint(path, {
        model: lm.stateDict(),
        optimizer: first.optimizer.state(),
        step: first.optimizer.stepCount,
        extra: { vocab: VOCAB },
      });
      const ck = loadCheckpoint(path);
      expect(ck.extra?.vocab).toEqual(VOCAB);
      const fresh = makeLM(99);
      fresh.loadStateDict(ck.model);
      const opt = new Adam(fresh.parameters(), { lr: 0.5 });
      opt.loadState(ck.optimizer as NonNullable<typeof ck.optimizer>);
      const rest = await trainLM(fresh, { epochs: 2, optimizer: opt });
      expect([...first.losses, ...rest.losses]).toEqual(full.losses);
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
      expect(encodeCheckpoint({ model: {}, step: 0 }).length).toBeGreaterThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process killed between writing and renaming a checkpoint leaves the previous one loadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-kill-'));
    try {
      const path = join(dir, 'ckpt.safetensors');
      const script = join(dir, 'train-and-die.mts');
      const src = (name: string) => JSON.stringify(resolve(__dirname, name));
      writeFileSync(
        script,
        `
        import { RecurrentLM } from ${src('language-model.ts')};
        import { saveCheckpoint } from ${src('node/checkpoint-file.ts')};
        const lm = new RecurrentLM({ vocabSize: 5, embeddingDim: 3, hiddenSize: 4 });
        saveCheckpoint(process.argv[2], { model: lm.stateDict(), step: 1 });
        console.log(JSON.stringify(Array.from(lm.stateDict()['head.weight'].dataSync())));
        const next = new RecurrentLM({ vocabSize: 5, embeddingDim: 3, hiddenSize: 4 });
        // The second save dies after its temporary file is written, before the rename.
        saveCheckpoint(process.argv[2], { model: next.stateDict(), step: 2 }, { beforeRename: () => process.kill(process.pid, 'SIGKILL') });
        console.log('not reached');
        `,
      );
      const root = resolve(__dirname, '../../..');
      const r = spawnSync(process.execPath, ['--import', 'tsx', script, path], { encoding: 'utf8', cwd: root });
      expect(r.signal).toBe('SIGKILL');
      expect(r.stdout).not.toContain('not reached');
      expect(existsSync(path)).toBe(true);
      const ck = loadCheckpoint(path);
      expect(ck.step).toBe(1);
      // The dead writer's temporary file is left behind, and removed by the next save into the folder.
      const temps = () => readdirSync(dir).filter((n) => /^\.ckpt\.safetensors\.\d+\.\d+\.tmp$/.test(n));
      expect(temps()).toHaveLength(1);
      writeFileSync(join(dir, '.other.999999999.1.tmp'), 'not ours to keep either: writer 999999999 is gone');
      writeFileSync(join(dir, `.live.${process.pid}.1.tmp`), 'a live writer');
      saveCheckpoint(join(dir, 'other.safetensors'), { model: ck.model, step: 1 });
      expect(temps()).toHaveLength(0);
      expect(existsSync(join(dir, '.other.999999999.1.tmp'))).toBe(false);
      expect(existsSync(join(dir, `.live.${process.pid}.1.tmp`))).toBe(true);
      const saved = JSON.parse(r.stdout.trim().split('\n')[0]);
      expect(Array.from(ck.model['head.weight'].dataSync())).toEqual(saved);
      const again = new RecurrentLM({ vocabSize: 5, embeddingDim: 3, hiddenSize: 4 });
      // Training resumes from it.
      again.loadStateDict(ck.model);
      const opt = new SGD(again.parameters(), { lr: 0.1 });
      const x = tensor([[1, 2, 3]], { dtype: 'int32' });
      const lossBefore = tidy(() =>
        crossEntropy(again.forward(x).logits, tensor([[2, 3, 4]], { dtype: 'int32' })).item(),
      );
      return fit({
        model: again,
        optimizer: opt,
        epochs: 1,
        train: () => [0, 1, 2],
        loss: () => crossEntropy(again.forward(x).logits, tensor([[2, 3, 4]], { dtype: 'int32' })),
      }).then((h) => {
        expect(h.steps).toBe(3);
        expect(
          tidy(() => crossEntropy(again.forward(x).logits, tensor([[2, 3, 4]], { dtype: 'int32' })).item()),
        ).toBeLessThan(lossBefore);
      });
    } finally {
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 0);
    }
  });
});

describe('RecurrentLM configuration', () => {
  it('an unknown cell is a ConfigError naming the choices, not a raw TypeError', () => {
    const make = () => new RecurrentLM({ vocabSize: 5, embeddingDim: 3, hiddenSize: 4, cell: 'lstm' as never });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(`RecurrentLM: cell must be 'RNN', 'LSTM' or 'GRU', got "lstm"`);
    expect(
      () => new RecurrentLM({ vocabSize: 5, embeddingDim: 3, hiddenSize: 4, cell: 'constructor' as never }),
    ).toThrow(ConfigError);
  });
});
