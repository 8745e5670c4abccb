import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TfjsBackend } from '@recur/backend-tfjs';
import * as keras from '@recur/keras';
import { dispose, manualSeed, ready, registerBackend, setBackend, tensor } from '@recur/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, useTfjsBackend } from './tfjs';
import { type Row, timeMedian } from './timing';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'tfjs');

/** tfjs' loadLayersModel from files on disk (tfjs-node is not used: its native build is not installed). */
async function tfjsLoad(path: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const specs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const parts = json.weightsManifest
    .flatMap((g: { paths: string[] }) => g.paths)
    .map((p: string) => readFileSync(join(dirname(path), p)));
  const all = Buffer.concat(parts);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

/** The large model of the issue: Embedding 20,000 × 128 → Bidirectional LSTM 256 → Dense, saved as model.json. */
async function largeModel(dir: string): Promise<string> {
  manualSeed(1);
  const m = new keras.Sequential([
    new keras.Embedding({ inputDim: 20000, outputDim: 128, inputShape: [null] }),
    new keras.Bidirectional(new keras.LSTM({ units: 256 })),
    new keras.Dense({ units: 2, activation: 'softmax' }),
  ]);
  const path = join(dir, 'large', 'model.json');
  await m.save(path);
  m.dispose();
  return path;
}

/** Input batches for each model input: token ids or features, at the model's fixed length or `steps`. */
function inputsFor(
  model: keras.Model,
  B: number,
  steps: number,
): { shape: number[]; values: number[]; ids: boolean }[] {
  return model.inputs.map((t) => {
    const T = t.shape[1] ?? steps;
    const ids = t.shape.length === 2;
    const shape = ids ? [B, T] : [B, T, t.shape[2] as number];
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, values: Array.from({ length: n }, (_, i) => (ids ? 1 + ((i * 7919) % 17) : Math.sin(i))), ids };
  });
}

const recurInputs = (xs: ReturnType<typeof inputsFor>) =>
  xs.map((x) => tensor(x.values, { shape: x.shape, dtype: x.ids ? 'int32' : 'float32' }));
const one = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0] : list);

/**
 * `pnpm bench keras`: loading and predicting the same model.json files with recur and with
 * tf.loadLayersModel + model.predict, in one run.
 */
export async function benchKeras(): Promise<{ load: Row[]; predict: Row[] }> {
  const loads: Row[] = [];
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'recur-bench-keras-'));
  try {
    const files = [
      ...readdirSync(FIXTURES)
        .filter((n) => n.endsWith('.case.json'))
        .map((n) => ({
          name: n.replace('.case.json', ''),
          path: join(FIXTURES, n.replace('.case.json', ''), 'model.json'),
        })),
      { name: 'Embedding 20,000×128 → BiLSTM 256 → Dense', path: await largeModel(dir) },
    ];
    registerBackend('tfjs', () => new TfjsBackend());
    for (const { name, path } of files) {
      // Loading.
      setBackend('js');
      const loadRecur = await timeMedian(async () => (await keras.loadLayersModel(path)).dispose(), 1500, 3);
      loads.push({ workload: `${name}: load`, contender: 'recur loadLayersModel (backend-js)', ms: loadRecur });
      for (const backend of ['cpu', 'wasm'] as const) {
        if (!(await useTfjsBackend(backend))) continue;
        const ms = await timeMedian(async () => (await tfjsLoad(path)).dispose(), 1500, 3);
        loads.push({ workload: `${name}: load`, contender: `tf.loadLayersModel on tfjs-${backend}`, ms });
      }
      // Predicting.
      for (const B of [1, 32]) {
        setBackend('js');
        const model = await keras.loadLayersModel(path);
        const xs = inputsFor(model, B, 64);
        const workload = `${name}: predict ${xs[0].shape.slice(0, 2).join('×')}`;
        const tokens = xs[0].shape[0] * xs[0].shape[1];
        const add = (contender: string, ms: number | null, note?: string) =>
          rows.push({ workload, contender, ms, rate: ms ? (tokens / ms) * 1000 : undefined, note });
        const onJs = recurInputs(xs);
        add('recur backend-js', await timeMedian(() => dispose(model.predict(one(onJs)))));
        model.dispose();
        dispose(onJs);
        if (await useTfjsBackend('wasm')) {
          await ready(setBackend('tfjs'));
          const onTfjs = await keras.loadLayersModel(path);
          const xt = recurInputs(xs);
          add('recur backend-tfjs on tfjs-wasm', await timeMedian(() => dispose(onTfjs.predict(one(xt))), 1500, 3));
          onTfjs.dispose();
          dispose(xt);
          setBackend('js');
        }
        for (const backend of ['cpu', 'wasm'] as const) {
          if (!(await useTfjsBackend(backend))) continue;
          if (backend === 'cpu' && tokens > 32 * 16 && name.startsWith('Embedding 20,000')) {
            add(`tf.loadLayersModel + predict on tfjs-${backend}`, null, 'skipped: tens of seconds');
            continue;
          }
          const ref = await tfjsLoad(path);
          const tx = xs.map((x) => tf.tensor(x.values, x.shape, 'float32'));
          add(
            `tfjs-layers predict on tfjs-${backend}`,
            await timeMedian(() => tf.tidy(() => void (ref.predict(one(tx)) as tf.Tensor).dataSync()), 1500, 3),
          );
          tf.dispose(tx);
          ref.dispose();
        }
      }
    }
  } finally {
    setBackend('js');
    rmSync(dir, { recursive: true, force: true });
  }
  return { load: loads, predict: rows };
}
