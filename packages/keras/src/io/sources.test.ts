import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { type Tensor, tensor } from '@recur/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModel, loadModel } from '../index';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'fixtures');
const TFJS = join(FIXTURES, 'tfjs');
const gru = () => JSON.parse(readFileSync(join(TFJS, 'gru_sharded.case.json'), 'utf8'));

function predictsLikeTheCase(model: Awaited<ReturnType<typeof loadModel>>, c: ReturnType<typeof gru>): void {
  const x = tensor(c.inputs[0].data, { shape: c.inputs[0].shape });
  const y = model.predict(x) as Tensor;
  Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - c.outputs[0].data[i])).toBeLessThan(1e-5));
}

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(join(TFJS, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(TFJS)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(path);
      res.writeHead(200, {
        'content-type': extname(path) === '.json' ? 'application/json' : 'application/octet-stream',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('where a model comes from', () => {
  it('a URL: model.json fetched, its 7 shards fetched next to it', async () => {
    predictsLikeTheCase(await loadLayersModel(`${base}/gru_sharded/model.json`), gru());
  });

  it('a shard that is not there (Files, URL) is an error naming it', async () => {
    const json = JSON.parse(readFileSync(join(TFJS, 'gru_sharded', 'model.json'), 'utf8'));
    json.weightsManifest[0].paths[6] = 'group1-shard8of7.bin';
    const files = [new File([JSON.stringify(json)], 'model.json')];
    await expect(loadLayersModel(files)).rejects.toThrow(
      /the file 'group1-shard1of7.bin' it refers to was not among the files given \(model.json\)/,
    );
    await expect(loadLayersModel(`${base}/nope/model.json`)).rejects.toThrow(/HTTP 404/);
  });

  it('browser Files (model.json with its shards), bytes, and a tfjs IOHandler', async () => {
    const dir = join(TFJS, 'gru_sharded');
    const names = ['model.json', ...Array.from({ length: 7 }, (_, k) => `group1-shard${k + 1}of7.bin`)];
    const files = names.map((n) => new File([readFileSync(join(dir, n))], n));
    predictsLikeTheCase(await loadLayersModel(files), gru());
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const data = Buffer.concat(names.slice(1).map((n) => readFileSync(join(dir, n))));
    const handler = {
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      }),
    };
    predictsLikeTheCase(await loadLayersModel(handler), gru());
    const keras = new Uint8Array(readFileSync(join(FIXTURES, 'keras-files', 'k3_gru_reset_after.keras')));
    expect((await loadModel(new Blob([keras]))).countParams()).toBe(345);
  });

  it('trainingConfig compiles the model, userDefinedMetadata is kept, an optimizer weight group is ignored', async () => {
    const dir = join(TFJS, 'gru_sharded');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const shards = json.weightsManifest[0].paths.map((n: string) => readFileSync(join(dir, n)));
    json.trainingConfig = {
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer_config: { class_name: 'Adam', config: { learningRate: 0.002 } },
    };
    json.userDefinedMetadata = { vocab: ['a', 'b'] };
    // tfjs saves optimizer state as a weight group 'optimizer' after the model's weights.
    json.weightsManifest.push({
      paths: ['opt.bin'],
      weights: [{ name: 'iter', shape: [], dtype: 'float32', group: 'optimizer' }],
    });
    const files = [
      new File([JSON.stringify(json)], 'model.json'),
      ...json.weightsManifest[0].paths.map((n: string, i: number) => new File([shards[i]], n)),
      new File([new Float32Array([3])], 'opt.bin'),
    ];
    const m = await loadLayersModel(files);
    expect(m.isCompiled).toBe(true);
    expect(m.optimizer.lr).toBe(0.002);
    expect(m.metricsNames).toEqual(['loss', 'accuracy']);
    expect(m.userDefinedMetadata).toEqual({ vocab: ['a', 'b'] });
    predictsLikeTheCase(m, gru());
  });
});
