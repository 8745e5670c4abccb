import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { shuffleInPlace, Vocab } from '@recur/data';
import { atomicWriteFile } from '@recur/files/node';
import { Rng } from '@recur/tensor';
import { Adam, type Callback, fit, generate, RecurrentLM, StateCarry } from '@recur/train';
import cliProgress from 'cli-progress';
import { loadNames } from './corpus';
import { type LMCell, type LMMeta, saveLM } from './lm-checkpoint';
import { lmWindowsOf } from './lm-data';
import { lineChart } from './svg-chart';

export interface TrainLMOptions {
  hidden: number;
  embedding: number;
  cell: LMCell;
  epochs: number;
  batch: number;
  seqLen: number;
  lr: number;
  seed: number;
  /** Folder for the checkpoint (lm.safetensors) and the loss curve (loss.svg). */
  out: string;
  /** Stop each epoch after this many batches (quick runs and tests). */
  maxBatches?: number;
  /** Names printed after each epoch. */
  samples: number;
}

/** One epoch's figures, as train-lm reports them. */
export interface EpochSummary {
  epoch: number;
  loss: number;
  valLoss?: number;
  valPerplexity?: number;
  elapsedMs: number;
}

export interface TrainLMResult {
  checkpoint: string;
  epochs: EpochSummary[];
  samples: string[];
  stoppedBy: 'completed' | 'callback' | 'abort';
}

export interface Output {
  log(line: string): void;
  /** Whether a progress bar may redraw the terminal. */
  interactive: boolean;
}

/** Names the model makes up: each starts after a newline and ends at the next one. */
export async function sampleNames(
  lm: RecurrentLM,
  vocab: Vocab,
  count: number,
  seed: number,
  temperature = 0.8,
): Promise<string[]> {
  const newline = vocab.encode('\n');
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const ids = await generate(lm, newline, { maxTokens: 24, eosId: newline[0], temperature, seed: seed + i });
    names.push(vocab.decode(ids).trim());
  }
  return names;
}

/**
 * A character-level language model trained on English first names: Embedding → LSTM / GRU / RNN →
 * Linear, truncated BPTT over windows of the name list (one name per line), Adam with gradient
 * clipping, validation perplexity on held-out names each epoch, a checkpoint and a loss curve
 * after every epoch. Aborting `signal` (Ctrl-C) stops after the current batch and saves.
 */
export async function trainLM(o: TrainLMOptions, out: Output, signal?: AbortSignal): Promise<TrainLMResult> {
  mkdirSync(o.out, { recursive: true });
  const checkpoint = join(o.out, 'lm.safetensors');
  const names = loadNames(o.seed);
  const nVal = Math.round(names.length * 0.1);
  const [valNames, trainNames] = [names.slice(0, nVal), names.slice(nVal)];
  const vocab = Vocab.build(
    names.map((n) => `${n}\n`),
    {
      tokenizer: 'char',
      specials: { pad: null, unk: '<unk>', bos: null, eos: null },
    },
  );
  const rng = new Rng(o.seed);
  const config = { vocabSize: vocab.size, embeddingDim: o.embedding, hiddenSize: o.hidden, cell: o.cell };
  const lm = new RecurrentLM({ ...config, rng });
  const optimizer = new Adam(lm.parameters(), { lr: o.lr });
  const meta: LMMeta = { config, corpus: 'English first names (@stdlib datasets)', history: [] };
  const stream = (list: string[], epoch: number) => {
    // A new order of names every epoch, the same for the same seed.
    const order = shuffleInPlace([...list], new Rng(o.seed * 1000 + epoch));
    return Int32Array.from(vocab.encode(`\n${order.join('\n')}\n`));
  };
  const valStream = stream(valNames, -1);
  const trainTokens = trainNames.reduce((n, s) => n + s.length + 1, 1);
  const batchesPerEpoch = Math.min(
    o.maxBatches ?? Number.POSITIVE_INFINITY,
    Math.ceil(Math.floor((trainTokens - 1) / o.batch) / o.seqLen),
  );
  out.log(
    `char-LM: ${o.cell}(${o.hidden}) on ${trainNames.length} names (${trainTokens} characters, ${vocab.size} symbols), ` +
      `${nVal} held out; batch ${o.batch}×${o.seqLen}, ${o.epochs} epochs`,
  );

  const carry = new StateCarry();
  const bar = out.interactive
    ? new cliProgress.SingleBar(
        {
          format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | {rate} chars/s | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const samples: string[] = [];
  const epochs: EpochSummary[] = [];
  const progress: Callback = {
    onEpochBegin: (epoch) =>
      bar?.start(batchesPerEpoch, 0, { epoch: `${epoch + 1}/${o.epochs}`, loss: '-', rate: '-' }),
    onBatchEnd: (batch, logs = {}) =>
      bar?.update(batch + 1, { loss: logs.loss.toFixed(3), rate: Math.round(logs.countPerSecond) }),
    onEpochEnd: async (epoch, logs = {}) => {
      bar?.stop();
      const e: EpochSummary = {
        epoch,
        loss: logs.loss,
        valLoss: logs.val_loss,
        valPerplexity: logs.val_perplexity,
        elapsedMs: logs.elapsedMs,
      };
      epochs.push(e);
      meta.history.push({ epoch, loss: e.loss, valLoss: e.valLoss, valPerplexity: e.valPerplexity });
      saveLM(checkpoint, lm, vocab, meta, optimizer, epoch);
      writeLossCurve(o.out, meta);
      samples.splice(0, samples.length, ...(await sampleNames(lm, vocab, o.samples, o.seed)));
      out.log(
        `epoch ${epoch + 1}/${o.epochs}: loss ${e.loss.toFixed(3)}, validation perplexity ${e.valPerplexity?.toFixed(2)} ` +
          `(${(e.elapsedMs / 1000).toFixed(1)} s) — ${samples.join(', ')}`,
      );
    },
  };

  const history = await fit({
    model: lm,
    optimizer,
    epochs: o.epochs,
    batchesPerEpoch,
    train: (epoch) => lmWindowsOf(stream(trainNames, epoch), o.batch, o.seqLen, o.maxBatches),
    validation: () => lmWindowsOf(valStream, Math.min(o.batch, 8), o.seqLen),
    loss: (w, { training }) => {
      const start = training ? carry.take(w.index === 0) : undefined;
      // The head and the loss as one fused kernel (the logits are never materialised).
      const r = lm.loss(w.x, w.y, { state: start });
      if (training) carry.put(r.state);
      return { loss: r.loss, count: w.y.size };
    },
    clipGradNorm: 1,
    callbacks: [progress],
    signal,
  });
  bar?.stop();
  carry.reset();
  if (history.stoppedBy === 'abort') {
    // Interrupted mid-epoch: keep what was learnt.
    saveLM(checkpoint, lm, vocab, meta, optimizer, history.epoch.length);
    out.log(`interrupted: checkpoint saved to ${checkpoint}`);
  } else {
    out.log(`checkpoint: ${checkpoint}; loss curve: ${join(o.out, 'loss.svg')}`);
  }
  optimizer.dispose();
  lm.dispose();
  return { checkpoint, epochs, samples, stoppedBy: history.stoppedBy };
}

function writeLossCurve(dir: string, meta: LMMeta): void {
  const epochs = meta.history.map((h) => h.epoch + 1);
  const svg = lineChart(
    [
      { label: 'training', x: epochs, values: meta.history.map((h) => h.loss) },
      { label: 'validation', x: epochs, values: meta.history.map((h) => h.valLoss ?? Number.NaN) },
    ],
    { title: 'Character-level LM: cross-entropy per character', xLabel: 'epoch', yLabel: 'loss (nats)' },
  );
  atomicWriteFile(join(dir, 'loss.svg'), new TextEncoder().encode(svg));
}
