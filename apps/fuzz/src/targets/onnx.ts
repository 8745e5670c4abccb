import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnxFile } from '@recur/onnx/node';
import { dispose, type Tensor, tensor, tidy } from '@recur/tensor';
import onnxProto from 'onnx-proto';
import { mutateBytes } from '../bytes-mutations';
import { FIXTURES, listFixtures, readFixture } from '../fixtures';
import { mutateMessage, parseMessage } from '../protobuf-tree';
import { type Chooser, INTERESTING_INTS } from '../random';
import type { FuzzTarget, Seed } from '../target';
import { writeCase } from './write-case';

const { onnx } = onnxProto;
type FixtureInputs = Record<string, { shape: number[]; data: number[]; dtype?: string }>;

const OPS = [
  'Range',
  'ConstantOfShape',
  'Split',
  'Expand',
  'Reshape',
  'Gather',
  'LSTM',
  'GRU',
  'RNN',
  'Slice',
  'Concat',
  'Transpose',
  'Unsqueeze',
  'Squeeze',
  'Softmax',
  'Flatten',
  'Cast',
  'Gemm',
  'MatMul',
  'Tile',
  '__proto__',
  'constructor',
  'toString',
  '',
];
const LOCATIONS = [
  '../../../../etc/os-release',
  '/etc/os-release',
  'missing.bin',
  'sub/../../x',
  'file:///etc/passwd',
  '',
];

/** Semantic mutations through the decoded ModelProto: what a careless exporter or an attacker writes. */
function mutateModel(c: Chooser, bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph ?? onnx.GraphProto.create();
  const tensors = [
    ...(g.initializer ?? []),
    ...(g.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.t ? [a.t] : []))),
  ];
  const nodes = g.node ?? [];
  for (let k = 1 + c.int(2); k > 0; k--) {
    switch (c.int(12)) {
      case 0: {
        const t = tensors.length ? c.pick(tensors) : null;
        if (t) {
          const dims = [...(t.dims ?? [])];
          if (dims.length && c.chance(0.7)) dims[c.int(dims.length)] = c.pick(INTERESTING_INTS);
          else dims.push(c.pick(INTERESTING_INTS));
          t.dims = dims;
        }
        break;
      }
      case 1: {
        const t = tensors.length ? c.pick(tensors) : null;
        if (t) t.dataType = c.int(20);
        break;
      }
      case 2: {
        const t = tensors.length ? c.pick(tensors) : null;
        if (t) {
          t.dataLocation = 1;
          const size = (t.rawData?.length ?? 16) || 16;
          t.externalData = [
            { key: 'location', value: c.pick([...LOCATIONS, 'model.onnx.data', 'side.bin']) },
            { key: 'offset', value: String(c.pick([0, -1, 8, 2 ** 40, 1.5])) },
            { key: 'length', value: String(c.pick([size, size + 4, 0, -4])) },
          ];
          t.rawData = new Uint8Array();
        }
        break;
      }
      case 3: {
        const n = nodes.length ? c.pick(nodes) : null;
        if (n) n.opType = c.pick(OPS);
        break;
      }
      case 4: {
        // Rewire an input: to another node's output (maybe a cycle), to nothing, to a missing name.
        const n = nodes.length ? c.pick(nodes) : null;
        if (n?.input?.length) {
          const outputs = nodes.flatMap((x) => x.output ?? []);
          n.input[c.int(n.input.length)] = c.pick([...outputs, '', 'nowhere']);
        }
        break;
      }
      case 5: {
        const n = nodes.length ? c.pick(nodes) : null;
        const a = n?.attribute?.length ? c.pick(n.attribute) : null;
        if (a) {
          switch (c.int(4)) {
            case 0:
              a.type = c.int(12);
              break;
            case 1:
              a.i = c.pick(INTERESTING_INTS);
              a.ints = (a.ints ?? []).map(() => c.pick(INTERESTING_INTS));
              break;
            case 2:
              a.strings = [new TextEncoder().encode(c.pick(['Sigmoid', 'Nope', '']))];
              a.s = new TextEncoder().encode(c.pick(['forward', 'sideways', '']));
              break;
            default:
              n?.attribute?.splice(n.attribute.indexOf(a), 1);
          }
        }
        break;
      }
      case 6: {
        const n = nodes.length ? c.pick(nodes) : null;
        if (n) {
          const name = c.pick([
            'axis',
            'num_outputs',
            'hidden_size',
            'direction',
            'activations',
            'layout',
            'to',
            'perm',
            'split',
            'clip',
          ]);
          n.attribute = [...(n.attribute ?? []), { name, type: 2, i: c.pick(INTERESTING_INTS) }];
        }
        break;
      }
      case 7: {
        const imp = m.opsetImport?.[0];
        if (imp) imp.version = c.pick([1, 6, 7, 13, 18, 22, 23, 99, -1]);
        break;
      }
      case 8: {
        const io = [...(g.input ?? []), ...(g.output ?? [])];
        const v = io.length ? c.pick(io) : null;
        const dims = v?.type?.tensorType?.shape?.dim;
        if (dims?.length) dims[c.int(dims.length)] = { dimValue: c.pick(INTERESTING_INTS) };
        if (v?.type?.tensorType && c.chance(0.3)) v.type.tensorType.elemType = c.int(20);
        break;
      }
      case 10: {
        // Integer constants (shapes, axes, indices, split sizes, Range bounds) get values they should not hold.
        const ints = tensors.filter((t) => t.dataType === 7 || t.dataType === 6);
        const t = ints.length ? c.pick(ints) : null;
        if (t) {
          const n = (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
          const values = Array.from({ length: Math.min(n, 64) }, () => BigInt(Math.trunc(c.pick(INTERESTING_INTS))));
          while (values.length < n) values.push(0n);
          t.rawData =
            t.dataType === 7
              ? new Uint8Array(BigInt64Array.from(values).buffer)
              : new Uint8Array(Int32Array.from(values.map(Number)).buffer);
          t.int64Data = [];
          t.int32Data = [];
        }
        break;
      }
      case 11: {
        // A node that sizes its output from data, fed a huge or negative value, as a graph output.
        const big = (name: string, v: number[], scalar = false) =>
          onnx.TensorProto.create({
            name,
            dims: scalar ? [] : [v.length],
            dataType: 7,
            rawData: new Uint8Array(BigInt64Array.from(v.map((x) => BigInt(Math.trunc(x)))).buffer),
          });
        const huge = c.pick(INTERESTING_INTS);
        const op = c.pick(['Range', 'ConstantOfShape', 'Expand', 'Split', 'Reshape', 'Tile']);
        const k = `fuzz_${op}`;
        g.initializer = [
          ...(g.initializer ?? []),
          big(`${k}_a`, [0], op === 'Range'),
          big(`${k}_b`, [huge, c.pick([1, huge])]),
          big(`${k}_l`, [huge], true),
          big(`${k}_d`, [c.pick([1, 0, -1])], true),
        ];
        const inputs =
          op === 'Range'
            ? [`${k}_a`, `${k}_l`, `${k}_d`]
            : op === 'ConstantOfShape'
              ? [`${k}_b`]
              : [`${k}_a`, `${k}_b`];
        const attrs = op === 'Split' ? [{ name: 'num_outputs', type: 2, i: huge }] : [];
        g.node = [
          ...nodes,
          onnx.NodeProto.create({ opType: op, input: inputs, output: [`${k}_y`], attribute: attrs, name: k }),
        ];
        g.output = [
          ...(g.output ?? []),
          onnx.ValueInfoProto.create({ name: `${k}_y`, type: { tensorType: { elemType: 7 } } }),
        ];
        break;
      }
      default: {
        const list = g.initializer ?? [];
        if (list.length) {
          const i = c.int(list.length);
          if (c.chance(0.5)) list.splice(i, 1);
          else list.push(list[i]);
        }
      }
    }
  }
  return onnx.ModelProto.encode(m).finish();
}

/** Feeds for the model's declared inputs: the fixture's where it has them, small ones made up elsewhere. */
function feedsFor(model: ReturnType<typeof loadOnnxFile>, given: FixtureInputs): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const info of model.inputs) {
    const dtype =
      info.dtype === 'float64'
        ? 'float64'
        : info.dtype === 'float32'
          ? 'float32'
          : info.dtype === 'bool'
            ? 'bool'
            : 'int32';
    const g = given[info.name];
    if (g) feeds[info.name] = tensor(g.data, { shape: g.shape, dtype });
    else {
      const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? Math.min(d, 64) : 2));
      feeds[info.name] = tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(1), { shape, dtype });
    }
  }
  return feeds;
}

export const onnxTarget: FuzzTarget = {
  name: 'onnx',
  async seeds() {
    const seeds: Seed[] = [];
    for (const folder of ['onnx-node', 'torch']) {
      for (const name of listFixtures(folder, (n) => n.endsWith('.onnx'))) {
        const files: Record<string, Uint8Array> = { 'model.onnx': readFixture(folder, name) };
        const data = listFixtures(folder, (n) => n === `${name}.data`);
        // The dynamo exporter's external data keeps its file name inside the model.
        for (const d of data) files[d] = readFixture(folder, d);
        let inputs: FixtureInputs = {};
        try {
          inputs = JSON.parse(readFileSync(join(FIXTURES, folder, `${name}.json`), 'utf8')).inputs ?? {};
        } catch {
          // a model without a case file runs on made-up inputs
        }
        seeds.push({ name: `${folder}/${name}`, main: 'model.onnx', files, extra: inputs });
      }
    }
    return seeds;
  },
  mutate(c, seed) {
    const files = { ...seed.files };
    const main = files[seed.main];
    const how = c.int(10);
    if (how < 3) files[seed.main] = mutateBytes(c, main);
    else if (how < 6) {
      const tree = parseMessage(main);
      files[seed.main] = tree ? mutateMessage(c, tree) : mutateBytes(c, main);
    } else if (how < 9) files[seed.main] = mutateModel(c, main);
    else {
      const data = Object.keys(files).filter((n) => n !== seed.main);
      if (data.length) files[data[0]] = mutateBytes(c, files[data[0]]);
      else files[seed.main] = mutateModel(c, main);
    }
    if (c.chance(0.2)) files['side.bin'] = new Uint8Array(c.int(64));
    return { ...seed, files };
  },
  async run(kase, dir) {
    const path = writeCase(dir, kase);
    const model = loadOnnxFile(path);
    try {
      tidy(() => {
        const feeds = feedsFor(model, (kase.extra ?? {}) as FixtureInputs);
        const out = model.run(feeds);
        dispose(Object.values(out));
      });
    } finally {
      model.dispose();
    }
    return undefined;
  },
};
