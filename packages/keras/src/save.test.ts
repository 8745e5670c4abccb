import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultRng,
  FormatError,
  manualSeed,
  RecurError,
  randomUniform,
  type Tensor,
  tensor,
  tidy,
} from '@recur/tensor';
import * as tf from '@tensorflow/tfjs-core';
import { unzipSync, zipSync } from 'fflate';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import * as keras from './index';
import { tfjsReady } from './testing/tfjs-reference';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures');

beforeAll(tfjsReady);

/** h' = tanh(x·W + h·U + b): a user cell, registered so that saved models with it load. */
class MinimalCell extends keras.Cell {
  static readonly className = 'MinimalCell';
  readonly stateSize: number[];
  readonly outputSize: number;
  constructor(readonly config: { units: number; name?: string }) {
    super({ name: config.name });
    this.stateSize = [config.units];
    this.outputSize = config.units;
  }
  override build(shape: readonly (number | null)[]): void {
    this.addWeight('kernel', [shape[shape.length - 1] as number, this.outputSize]);
    this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal');
    super.build(shape);
  }
  call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
    const { add, matMul, tanh } = ops;
    const out = tanh(add(matMul(x, this.weight('kernel')), matMul(h, this.weight('recurrent_kernel'))));
    return [out, [out]];
  }
  override getConfig() {
    return { ...super.getConfig(), units: this.outputSize };
  }
}
keras.registerLayer(MinimalCell);

import * as ops from '@recur/tensor';

const ids = () =>
  tensor(
    [
      [3, 5, 1, 0, 0],
      [0, 0, 2, 7, 8],
      [4, 4, 4, 4, 4],
    ],
    { dtype: 'int32' },
  );
const seq = (seed: number, f = 3) => randomUniform([3, 5, f], -1, 1, { seed });

/** Models that together use every layer type recur's Keras door has. */
const MODELS: [string, () => keras.Model, () => Tensor[], boolean][] = [
  [
    'Sequential: Embedding(mask) → Bidirectional(LSTM) → TimeDistributed(Dense) → GlobalAveragePooling1D → Dense',
    () =>
      new keras.Sequential([
        new keras.Embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [5] }),
        new keras.Bidirectional(new keras.LSTM({ units: 3, returnSequences: true })),
        new keras.TimeDistributed(new keras.Dense({ units: 4, activation: 'relu' })),
        new keras.GlobalAveragePooling1D(),
        new keras.Dense({ units: 2, activation: 'softmax' }),
      ]),
    () => [ids()],
    // tfjs' GlobalAveragePooling1D ignores the mask (Keras does not): not comparable with tfjs.
    false,
  ],
  [
    'Sequential: Embedding(mask) → Bidirectional(GRU, ave) → TimeDistributed(Dense) → LSTM → Dense',
    () =>
      new keras.Sequential([
        new keras.Embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [5] }),
        new keras.Bidirectional(new keras.GRU({ units: 3, returnSequences: true, resetAfter: false }), {
          mergeMode: 'ave',
        }),
        new keras.TimeDistributed(new keras.Dense({ units: 4, activation: 'relu' })),
        new keras.LSTM({ units: 3 }),
        new keras.Dense({ units: 2, activation: 'softmax' }),
      ]),
    () => [ids()],
    true,
  ],
  [
    'Sequential: Masking → SimpleRNN → LayerNormalization → GRU(resetAfter false) → RepeatVector → Flatten',
    () =>
      new keras.Sequential([
        new keras.Masking({ maskValue: 0, inputShape: [5, 3] }),
        new keras.SimpleRNN({ units: 4, returnSequences: true }),
        new keras.LayerNormalization(),
        new keras.GRU({ units: 3, resetAfter: false }),
        new keras.RepeatVector({ n: 2 }),
        new keras.Flatten(),
      ]),
    () => [seq(1)],
    true,
  ],
  [
    'Sequential: Reshape → Permute → GlobalMaxPooling1D → Dropout → Activation',
    () =>
      new keras.Sequential([
        new keras.Reshape({ targetShape: [3, 5], inputShape: [5, 3] }),
        new keras.Permute({ dims: [2, 1] }),
        new keras.GlobalMaxPooling1D(),
        new keras.Dropout({ rate: 0.3 }),
        new keras.Activation({ activation: 'tanh' }),
      ]),
    () => [seq(2)],
    true,
  ],
  [
    'Functional: two inputs, encoder states → decoder initialState (GRU reset_after), merges',
    () => {
      const a = keras.Input({ shape: [5, 3], name: 'enc' });
      const b = keras.Input({ shape: [5, 3], name: 'dec' });
      const [, h] = new keras.GRU({ units: 3, returnState: true }).apply(a);
      const y = new keras.GRU({ units: 3, returnSequences: true }).apply(b, { initialState: [h] });
      const d1 = new keras.Dense({ units: 3 }).apply(b);
      const merged = [
        new keras.Add().apply([y, d1]),
        new keras.Subtract().apply([y, d1]),
        new keras.Multiply().apply([y, d1]),
        new keras.Average().apply([y, d1]),
        new keras.Maximum().apply([y, d1]),
        new keras.Minimum().apply([y, d1]),
      ];
      const out = new keras.Concatenate().apply(merged);
      return new keras.Model({ inputs: [a, b], outputs: out });
    },
    () => [seq(3), seq(4)],
    false,
  ],
  [
    'Functional: a registered custom cell in RNN and in Bidirectional',
    () => {
      const x = keras.Input({ shape: [5, 3] });
      const h = new keras.RNN(new MinimalCell({ units: 4 }), { returnSequences: true }).apply(x);
      const y = new keras.Bidirectional(new keras.RNN(new MinimalCell({ units: 2 }))).apply(h);
      return new keras.Model({ inputs: x, outputs: y });
    },
    () => [seq(5)],
    false,
  ],
];

function same(a: Tensor | Tensor[], b: Tensor | Tensor[]): void {
  const x = Array.isArray(a) ? a : [a];
  const y = Array.isArray(b) ? b : [b];
  expect(x.length).toBe(y.length);
  x.forEach((t, i) => {
    expect(t.shape).toEqual(y[i].shape);
    expect(Array.from(t.dataSync())).toEqual(Array.from(y[i].dataSync()));
  });
}

function files(saved: keras.SavedFiles): File[] {
  return Object.entries(saved.files).map(([name, bytes]) => new File([bytes], name));
}

describe('save → loadModel reproduces predict bit for bit', () => {
  for (const [name, build, inputs] of MODELS) {
    for (const format of ['recur', 'keras', 'tfjs'] as const) {
      it(`${name} (${format})`, async () => {
        manualSeed(11);
        const model = build();
        const x = inputs();
        const want = model.predict(x.length === 1 ? x[0] : x);
        const saved = await model.save(undefined, { format });
        const loaded = await keras.loadModel(format === 'tfjs' ? files(saved) : Object.values(saved.files)[0]);
        same(loaded.predict(x.length === 1 ? x[0] : x), want);
        expect(loaded.countParams()).toBe(model.countParams());
        expect(loaded.summaryRows().map((r) => [r.name, r.className, r.params])).toEqual(
          model.summaryRows().map((r) => [r.name, r.className, r.params]),
        );
      });
    }
  }
});

describe('userDefinedMetadata (a vocabulary, say) travels with the model', () => {
  for (const format of ['recur', 'tfjs'] as const) {
    it(`through ${format === 'recur' ? "recur's file" : 'model.json'} and back`, async () => {
      const [, build] = MODELS[0];
      const model = build();
      model.userDefinedMetadata = { vocab: { format: 'recur-vocab', tokens: ['a', 'b'] }, note: 1 };
      const saved = await model.save(undefined, { format });
      const loaded = await keras.loadModel(format === 'tfjs' ? files(saved) : Object.values(saved.files)[0]);
      expect(loaded.userDefinedMetadata).toEqual(model.userDefinedMetadata);
    });
  }
});

describe('activations the target format has no name for are refused when saving', () => {
  it("tfjs' hardSigmoid (0.2x + 0.5) cannot be written to .keras, where hard_sigmoid means relu6(x + 3) / 6", async () => {
    const m = new keras.Sequential([
      new keras.GRU({ units: 2, recurrentActivation: 'hardSigmoid', inputShape: [3, 2], name: 'g' }),
    ]);
    await expect(m.save(undefined, { format: 'keras' })).rejects.toThrow(
      /layer 'g' \(GRU\): hardSigmoid .* has no Keras 3 name/,
    );
    const k3 = new keras.Sequential([
      new keras.GRU({ units: 2, recurrentActivation: 'hardSigmoidKeras3', inputShape: [3, 2] }),
    ]);
    const back = await keras.loadModel((await k3.save(undefined, { format: 'keras' })).files['model.keras']);
    const x = randomUniform([1, 3, 2], -3, 3, { seed: 1 });
    same(back.predict(x), k3.predict(x));
  });
});

describe('model.json that tfjs-layers 4.22 loads', () => {
  for (const [name, build, inputs, tfjsCan] of MODELS) {
    if (!tfjsCan) continue;
    it(`${name}: tf.loadLayersModel gives the same predictions`, async () => {
      manualSeed(12);
      const model = build();
      const x = inputs();
      const want = model.predict(x[0]) as Tensor;
      const saved = await model.save(undefined, { format: 'tfjs' });
      const json = JSON.parse(new TextDecoder().decode(saved.files['model.json']));
      const weights = saved.files['weights.bin'];
      const ref = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
      const got = ref.predict(tf.tensor(Array.from(x[0].dataSync()), [...x[0].shape], 'float32')) as tf.Tensor;
      const a = want.dataSync();
      const b = got.dataSync();
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      expect(d).toBeLessThan(1e-5);
    });
  }
});

describe("tfjs' file:// paths", () => {
  it("save('file://dir') writes dir/model.json and weights.bin, and loadModel('file://dir/model.json') reads them", async () => {
    manualSeed(5);
    const model = new keras.Sequential([
      new keras.LSTM({ units: 3, inputShape: [4, 2] }),
      new keras.Dense({ units: 1 }),
    ]);
    const x = ops.randomNormal([2, 4, 2]);
    const dir = join(mkdtempSync(join(tmpdir(), 'recur-file-url-')), 'model');
    await model.save(`file://${dir}`);
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).format).toBe('layers-model');
    expect(readFileSync(join(dir, 'weights.bin')).length).toBe(4 * model.countParams());
    const again = await keras.loadModel(`file://${dir}/model.json`);
    expect(Array.from((again.predict(x) as Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as Tensor).dataSync()),
    );
    await expect(model.save('indexeddb://my-model')).rejects.toThrow(
      /'indexeddb:\/\/' is not a place recur's save writes to/,
    );
  });
});

describe('whole-model files', () => {
  it('resume training: save after 2 epochs, load, 2 more — the same losses as 4 uninterrupted (optimizer state kept)', async () => {
    const x = tidy(() => ops.cast(ops.floor(randomUniform([12, 5], 1, 9, { seed: 3 })), 'int32'));
    const y = tensor(
      Array.from({ length: 12 }, (_, i) => i % 2),
      { shape: [12, 1] },
    );
    const make = () => {
      manualSeed(4);
      const m = new keras.Sequential([
        new keras.Embedding({ inputDim: 10, outputDim: 4, inputShape: [5] }),
        new keras.LSTM({ units: 5 }),
        new keras.Dense({ units: 1, activation: 'sigmoid' }),
      ]);
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const full = make();
    const all = await full.fit(x, y, { epochs: 4, batchSize: 5, shuffle: false, verbose: 0 });
    const first = make();
    await first.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'recur-keras-'));
    await first.save(join(dir, 'model.recur'));
    const resumed = await keras.loadModel(join(dir, 'model.recur'));
    expect(resumed.isCompiled).toBe(true);
    const rest = await resumed.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 5, shuffle: false, verbose: 0 });
    expect(rest.epoch).toEqual([2, 3]);
    expect(rest.history.loss).toEqual(all.history.loss.slice(2));
  });

  it('loading runs no initializer (the global generator is untouched) and Keras files keep their weights', async () => {
    const before = defaultRng().getState();
    const m = await keras.loadModel(join(FIXTURES, 'keras-files', 'k3_bilstm_concat_sum.keras'));
    expect(defaultRng().getState()).toEqual(before);
    expect(m.countParams()).toBe(744);
    const tfjsModel = await keras.loadLayersModel(join(FIXTURES, 'tfjs', 'seq2seq_functional', 'model.json'));
    expect(defaultRng().getState()).toEqual(before);
    expect(tfjsModel.inputs.map((t) => t.node.layer.name)).toEqual(['encoder_inputs', 'decoder_inputs']);
  });

  it('a loaded model fine-tunes with fit', async () => {
    const m = await keras.loadModel(join(FIXTURES, 'tfjs', 'embed_lstm_classifier', 'model.json'));
    m.compile({ optimizer: keras.optimizers.adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
    const x = tensor(
      [
        [5, 12, 7, 33, 0, 0],
        [1, 2, 3, 4, 5, 6],
      ],
      { dtype: 'int32' },
    );
    const y = tensor([[2], [0]]);
    const h = await m.fit(x, y, { epochs: 8, verbose: 0 });
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0] * 0.7);
  });
});

describe('bad model files are clear errors', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'recur-bad-'));
  const modelJson = () => JSON.parse(readFileSync(join(FIXTURES, 'tfjs', 'gru_sharded', 'model.json'), 'utf8'));
  const copyShards = (to: string, skip?: string, edit?: (name: string, b: Buffer) => Buffer) => {
    for (let k = 1; k <= 7; k++) {
      const name = `group1-shard${k}of7.bin`;
      if (name === skip) continue;
      const b = readFileSync(join(FIXTURES, 'tfjs', 'gru_sharded', name));
      writeFileSync(join(to, name), edit ? edit(name, b) : b);
    }
  };
  const load = (json: unknown, d: string) => {
    writeFileSync(join(d, 'model.json'), JSON.stringify(json));
    return keras.loadModel(join(d, 'model.json'));
  };

  it('a missing shard, a short or long shard, an unknown dtype or quantization', async () => {
    let d = dir();
    copyShards(d, 'group1-shard3of7.bin');
    await expect(load(modelJson(), d)).rejects.toThrow(/the file 'group1-shard3of7.bin' it refers to does not exist/);
    d = dir();
    copyShards(d, undefined, (n, b) => (n.includes('7of7') ? b.subarray(0, b.length - 8) : b));
    await expect(load(modelJson(), d)).rejects.toThrow(
      /weight 'dense_Dense7\/bias' \[3\] needs bytes .* but the shards .* hold 6724 bytes/,
    );
    d = dir();
    copyShards(d, undefined, (n, b) => (n.includes('7of7') ? Buffer.concat([b, Buffer.alloc(4)]) : b));
    await expect(load(modelJson(), d)).rejects.toThrow(/hold 6736 bytes, but the manifest describes 6732/);
    d = dir();
    copyShards(d);
    const j = modelJson();
    j.weightsManifest[0].weights[2].dtype = 'complex64';
    await expect(load(j, d)).rejects.toThrow(/weight 'gru_GRU2\/bias': unknown dtype 'complex64'/);
    j.weightsManifest[0].weights[2].dtype = 'float32';
    j.weightsManifest[0].weights[2].quantization = { dtype: 'int4' };
    await expect(load(j, d)).rejects.toThrow(/unknown quantization dtype 'int4'/);
  });

  it('a path that leaves the folder (.., absolute, symlink) is refused', async () => {
    const d = dir();
    copyShards(d);
    const j = modelJson();
    j.weightsManifest[0].paths[0] = '../../../../etc/os-release';
    await expect(load(j, d)).rejects.toThrow(/'..\/..\/..\/..\/etc\/os-release' is outside the model's folder/);
    await expect(load(j, d)).rejects.toBeInstanceOf(FormatError);
    j.weightsManifest[0].paths[0] = '/etc/os-release';
    await expect(load(j, d)).rejects.toThrow(/'\/etc\/os-release' is outside the model's folder/);
    symlinkSync('/etc/hostname', join(d, 'link.bin'));
    j.weightsManifest[0].paths[0] = 'link.bin';
    await expect(load(j, d)).rejects.toThrow(/'link.bin' resolves to \/etc\/hostname, outside the model's folder/);
    await expect(load(j, d)).rejects.toBeInstanceOf(FormatError);
  });

  it('an unknown layer class, a config of the wrong shape, an option recur does not implement', async () => {
    const d = dir();
    copyShards(d);
    const j = modelJson();
    j.modelTopology.config.layers[0].class_name = 'ConvLSTM2D';
    await expect(load(j, d)).rejects.toThrow(/unknown layer class 'ConvLSTM2D': register it with registerLayer/);
    const k = modelJson();
    k.modelTopology.config.layers = 'not a list';
    await expect(load(k, d)).rejects.toThrow(/a Sequential's config needs a 'layers' list/);
    const t = modelJson();
    t.modelTopology.config.layers[0].config.time_major = true;
    await expect(load(t, d)).rejects.toThrow(/layer 'gru_GRU2' \(GRU\): option time_major = true is not supported/);
    const c = modelJson();
    c.modelTopology.config.layers[0].config.recurrent_constraint = { class_name: 'MaxNorm', config: {} };
    await expect(load(c, d)).rejects.toThrow(/option recurrent_constraint = .*MaxNorm.* is not supported/);
  });

  it('values of the wrong type from a file are recur errors naming the field, not engine errors', async () => {
    const d = dir();
    copyShards(d);
    const cases: [(j: ReturnType<typeof modelJson>) => void, RegExp][] = [
      [
        (j) => (j.modelTopology.config.layers[0].config.batch_input_shape = 5),
        /batchInputShape should be a list of sizes/,
      ],
      [
        (j) => (j.modelTopology.config.layers[0].config.trainable = 'yes'),
        /trainable should be true or false, got "yes"/,
      ],
      [
        (j) => (j.modelTopology.config.layers[0].config.dtype = 'complex64'),
        /dtype 'complex64' is not supported \(float32, float64, int32, bool\)/,
      ],
      [
        (j) => (j.modelTopology.config.layers[0].config.kernel_initializer = { class_name: 'constructor' }),
        /unknown initializer 'constructor'/,
      ],
      [(j) => (j.modelTopology.config.layers[0].config.kernel_initializer = { name: 5 }), /unknown initializer '5'/],
      [(j) => (j.modelTopology = null), /modelTopology should be an object, got null/],
      [(j) => (j.modelTopology.config = 7), /the model's config should be an object, got 7/],
      [(j) => (j.modelTopology.model_config = []), /the model config should be \{ class_name, config \}/],
      [(j) => (j.modelTopology.config.layers[0].class_name = 7), /a layer entry should be \{ class_name, config \}/],
      [
        (j) => (j.weightsManifest[0].weights[0].shape = [65536, 65536]),
        /weight '.*': \[65536, 65536\] is 4,294,967,296 elements, over the limit/,
      ],
    ];
    for (const [edit, message] of cases) {
      const j = modelJson();
      edit(j);
      const e = await load(j, d).then(
        () => null,
        (err: Error) => err,
      );
      expect(e, String(message)).toBeInstanceOf(RecurError);
      expect(e?.message).toMatch(message);
    }
  });

  it('a .keras archive member whose path leaves the archive is refused', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'keras-files', 'k3_gru_reset_after.keras')));
    for (const evil of ['../evil.json', '/etc/cron.d/x', 'assets/../../x']) {
      const members = { ...unzipSync(bytes), [evil]: new Uint8Array([1]) };
      const e = await keras.loadModel(zipSync(members)).then(
        () => null,
        (err: Error) => err,
      );
      expect(e).toBeInstanceOf(FormatError);
      expect(e?.message).toContain(`archive member '${evil}' has a path outside the archive`);
    }
  });

  it('a truncated .keras archive and bytes of no known format', async () => {
    const bytes = readFileSync(join(FIXTURES, 'keras-files', 'k3_gru_reset_after.keras'));
    await expect(keras.loadModel(new Uint8Array(bytes.subarray(0, 4000)))).rejects.toThrow(
      /not a readable .keras \(zip\) archive/,
    );
    await expect(keras.loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).rejects.toThrow(
      /not a model file recur knows/,
    );
    const h5 = readFileSync(join(FIXTURES, 'keras-files', 'k2_legacy_bigru.h5'));
    await expect(keras.loadModel(new Uint8Array(h5.subarray(0, 3000)))).rejects.toThrow(/HDF5|not a readable/);
  });
});

describe('tfjs quantized weights decode as tfjs decodes them', () => {
  it('uint8 and uint16 (q·scale + min) and float16, against tfjs-core io.decodeWeights', async () => {
    const specs = [
      {
        name: 'a',
        shape: [2, 3],
        dtype: 'float32' as const,
        quantization: { dtype: 'uint8' as const, min: -0.5, scale: 0.01, original_dtype: 'float32' as const },
      },
      {
        name: 'b',
        shape: [4],
        dtype: 'float32' as const,
        quantization: { dtype: 'uint16' as const, min: -2, scale: 1e-4, original_dtype: 'float32' as const },
      },
      {
        name: 'c',
        shape: [3],
        dtype: 'float32' as const,
        quantization: { dtype: 'float16' as const, original_dtype: 'float32' as const },
      },
    ];
    const bytes = new Uint8Array(6 + 8 + 6);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) % 256;
    const ref = tf.io.decodeWeights(bytes.buffer, specs);
    const { manifestEntries } = await import('./io/tfjs-format');
    const { bytesFiles } = await import('./io/sources');
    const { model } = await manifestEntries('test', [{ paths: ['w.bin'], weights: specs }], {
      ...bytesFiles(bytes, 'w.bin'),
    });
    for (const e of model) {
      const t = e.load();
      expect(Array.from(t.dataSync())).toEqual(Array.from(ref[e.path].dataSync()));
    }
  });
});
