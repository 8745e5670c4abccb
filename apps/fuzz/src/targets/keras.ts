import { loadModel, type Model } from '@recur/keras';
import { dispose, type Tensor, tensor, tidy } from '@recur/tensor';
import { unzipSync, zipSync } from 'fflate';
import { mutateBytes } from '../bytes-mutations';
import { listFixtures, readFixture } from '../fixtures';
import { mutateJson } from '../json-mutations';
import type { Chooser } from '../random';
import type { FuzzTarget, Seed } from '../target';
import { writeCase } from './write-case';

/** Small inputs of the declared shapes and dtypes (ids 1, floats 0.5). */
function predictOnce(model: Model): void {
  tidy(() => {
    const inputs: Tensor[] = model.inputs.map((s) => {
      const shape = s.shape.map((d) => (typeof d === 'number' && d > 0 ? Math.min(d, 64) : 2));
      const n = shape.reduce((a, b) => a * b, 1);
      return tensor(new Array(n).fill(s.dtype === 'int32' ? 1 : 0.5), { shape, dtype: s.dtype });
    });
    const out = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    dispose(Array.isArray(out) ? out : [out as Tensor]);
  });
}

function mutateJsonFile(c: Chooser, bytes: Uint8Array): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return mutateBytes(c, bytes);
  }
  return new TextEncoder().encode(JSON.stringify(mutateJson(c, json)));
}

async function loadAndPredict(source: string | Uint8Array): Promise<undefined> {
  const model = await loadModel(source);
  try {
    predictOnce(model);
  } finally {
    model.dispose();
  }
  return undefined;
}

/** TensorFlow.js model.json folders: the JSON, its manifest and its shards. */
export const tfjsTarget: FuzzTarget = {
  name: 'tfjs',
  async seeds() {
    const seeds: Seed[] = [];
    for (const dir of listFixtures('tfjs', (n) => !n.includes('.'))) {
      const files: Record<string, Uint8Array> = {};
      for (const f of listFixtures(`tfjs/${dir}`, () => true)) files[f] = readFixture('tfjs', dir, f);
      seeds.push({ name: `tfjs/${dir}`, main: 'model.json', files });
    }
    return seeds;
  },
  mutate(c, seed) {
    const files = { ...seed.files };
    const how = c.int(10);
    if (how < 7) files[seed.main] = mutateJsonFile(c, files[seed.main]);
    else if (how < 8) files[seed.main] = mutateBytes(c, files[seed.main]);
    else {
      const shards = Object.keys(files).filter((n) => n !== seed.main);
      const s = c.pick(shards);
      files[s] = mutateBytes(c, files[s]);
    }
    return { ...seed, files };
  },
  async run(kase, dir) {
    return loadAndPredict(writeCase(dir, kase));
  },
};

/** Keras 3 .keras archives (config.json, metadata.json, model.weights.h5) and Keras 2 .h5 files. */
export const kerasFilesTarget: FuzzTarget = {
  name: 'keras',
  async seeds() {
    return listFixtures('keras-files', (n) => /\.(keras|h5)$/.test(n)).map((n) => ({
      name: `keras-files/${n}`,
      main: n,
      files: { [n]: readFixture('keras-files', n) },
    }));
  },
  mutate(c, seed) {
    const bytes = seed.files[seed.main];
    let out: Uint8Array;
    if (seed.main.endsWith('.keras') && c.chance(0.7)) {
      const members: Record<string, Uint8Array> = unzipSync(bytes);
      const names = Object.keys(members);
      const name = c.chance(0.6) && members['config.json'] ? 'config.json' : c.pick(names);
      members[name] = name.endsWith('.json') ? mutateJsonFile(c, members[name]) : mutateBytes(c, members[name]);
      if (c.chance(0.05)) members['../escape.txt'] = new Uint8Array([1]);
      out = zipSync(members);
    } else out = mutateBytes(c, bytes);
    return { ...seed, files: { [seed.main]: out } };
  },
  async run(kase) {
    return loadAndPredict(kase.files[kase.main]);
  },
};
