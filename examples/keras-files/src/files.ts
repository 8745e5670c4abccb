import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel } from '@recur/keras';
import { type Tensor, tensor, tidy } from '@recur/tensor';

const FIXTURES = resolve(import.meta.dirname ?? __dirname, '../../../fixtures');

interface Case {
  inputs: { shape: number[]; dtype: string; data: number[] }[];
  outputs: { shape: number[]; data: number[] }[];
}

export interface FileReport {
  file: string;
  format: string;
  parameters: number;
  /** Largest difference from the outputs the file's own framework computed. */
  maxDiff: number;
  /** The loss on the fixture's inputs (with its outputs' argmax as labels) before and after 20 steps of fit. */
  lossBefore: number;
  lossAfter: number;
  /** The fine-tuned model saved in the other format and loaded again predicts the same. */
  roundTripMaxDiff: number;
}

/**
 * Loads a model file written by TensorFlow.js or Keras, checks `predict` against the numbers that
 * framework computed, fine-tunes it with `compile` + `fit`, saves it in another format and loads
 * it back. No converter, no Python.
 */
export async function runFile(
  model: string,
  caseFile: string,
  format: string,
  saveAs: 'keras' | 'tfjs' | 'recur',
  log: (l: string) => void,
): Promise<FileReport> {
  const c = JSON.parse(readFileSync(resolve(FIXTURES, caseFile), 'utf8')) as Case;
  const m = await loadModel(resolve(FIXTURES, model));
  log(`\n${model} (${format})`);
  m.summary({ lineLength: 100, print: (line) => log(`  ${line}`) });
  const inputs = c.inputs.map((i) =>
    tensor(i.data, { shape: i.shape, dtype: i.dtype === 'int32' ? 'int32' : 'float32' }),
  );
  const x = inputs.length === 1 ? inputs[0] : inputs;
  const want = c.outputs[0].data;
  const got = tidy(() => Array.from((m.predict(x) as Tensor).dataSync()));
  const maxDiff = got.reduce((d, v, i) => Math.max(d, Math.abs(v - want[i])), 0);
  log(`  predict matches ${format}'s own numbers to ${maxDiff.toExponential(1)}`);

  // Fine-tune: teach it the answers it was least sure of (the argmax of its own outputs, shifted by one class).
  const [rows, classes] = c.outputs[0].shape;
  const labels = tensor(
    Array.from({ length: rows }, (_, r) => {
      const row = want.slice(r * classes, (r + 1) * classes);
      return [(row.indexOf(Math.max(...row)) + 1) % classes];
    }),
  );
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const lossBefore = (await m.evaluate(x, labels, { verbose: 0 })) as number;
  await m.fit(x, labels, { epochs: 20, verbose: 0 });
  const lossAfter = (await m.evaluate(x, labels, { verbose: 0 })) as number;
  log(`  fit on new labels: loss ${lossBefore.toFixed(3)} → ${lossAfter.toFixed(3)}`);

  // Save in the other format, atomically, and load it back from disk.
  const other = saveAs;
  const dir = mkdtempSync(join(tmpdir(), 'recur-keras-files-'));
  const path = join(dir, { keras: 'model.keras', tfjs: 'model.json', recur: 'model.safetensors' }[saveAs]);
  await m.save(path);
  const again = await loadModel(path);
  const a = tidy(() => Array.from((m.predict(x) as Tensor).dataSync()));
  const b = tidy(() => Array.from((again.predict(x) as Tensor).dataSync()));
  const roundTripMaxDiff = a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i])), 0);
  log(`  saved as ${other}, loaded back: predictions differ by ${roundTripMaxDiff}`);
  for (const t of inputs) t.dispose();
  labels.dispose();
  const parameters = m.countParams();
  m.dispose();
  again.dispose();
  return { file: model, format, parameters, maxDiff, lossBefore, lossAfter, roundTripMaxDiff };
}

/** A TensorFlow.js model.json (tfjs-layers 4.22), a Keras 3 .keras and a Keras 2 .h5. */
export const FILES: [model: string, caseFile: string, format: string, saveAs: 'keras' | 'tfjs' | 'recur'][] = [
  // tfjs' LSTM uses tfjs' hard sigmoid, which Keras 3 does not have: it is saved in recur's own format.
  [
    'tfjs/embed_lstm_classifier/model.json',
    'tfjs/embed_lstm_classifier.case.json',
    'TensorFlow.js model.json',
    'recur',
  ],
  ['keras-files/k3_emb_lstm_softmax.keras', 'keras-files/k3_emb_lstm_softmax.case.json', 'Keras 3 .keras', 'tfjs'],
  ['keras-files/k2_legacy_bigru.h5', 'keras-files/k2_legacy_bigru.case.json', 'Keras 2 .h5', 'keras'],
];
