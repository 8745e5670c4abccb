#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { atomicWriteFile } from '@recur/data/node';
import { GRU, LSTM, RNN } from '@recur/layers';
import { RecurError, type Tensor, tensor } from '@recur/tensor';
import { Command } from 'commander';
import { exportOnnx } from '../export';
import { OnnxModel } from '../model';

function load(path: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    fail(`cannot read ${path}: ${(e as Error).message}`);
  }
  return OnnxModel.load(bytes, {
    name: path,
    readExternal: (location, offset, length) => {
      const data = readFileSync(join(dirname(path), location));
      const end = length === undefined ? data.length : offset + length;
      if (end > data.length)
        throw new RecurError(
          `external data '${location}' has ${data.length} bytes, the model asks for bytes ${offset}..${end}`,
        );
      return new Uint8Array(data.buffer, data.byteOffset + offset, end - offset);
    },
  });
}

function fail(message: string): never {
  console.error(`recur-onnx: ${message}`);
  process.exit(2);
}

const program = new Command()
  .name('recur-onnx')
  .description('inspect and run ONNX models with recur')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('inspect')
  .argument('<model.onnx>')
  .description('inputs and outputs with shapes, operators with counts, parameter count')
  .action((path: string) => {
    const m = load(path);
    console.log(`${path}: opset ${m.opset}, producer ${m.producer || '?'}`);
    for (const i of m.inputs) console.log(`  input  ${i.name}: ${i.dtype} [${i.shape.join(', ')}]`);
    for (const o of m.outputs) console.log(`  output ${o.name}: ${o.dtype} [${o.shape.join(', ')}]`);
    const ops = Object.entries(m.opCounts()).sort((a, b) => b[1] - a[1]);
    console.log(`  operators: ${ops.map(([op, n]) => `${op} ×${n}`).join(', ')}`);
    console.log(`  parameters: ${m.numParameters().toLocaleString('en-US')}`);
    for (const [k, v] of Object.entries(m.metadata))
      console.log(`  metadata ${k}: ${v.length > 60 ? `${v.slice(0, 60)}…` : v}`);
    m.dispose();
  });

program
  .command('run')
  .argument('<model.onnx>')
  .argument('<inputs.json>', 'inputs as {"name": {"shape": [...], "dtype": "float32", "data": [...]}} or nested arrays')
  .option('-o, --output <file>', 'write the outputs as JSON instead of printing them')
  .description('run a model on JSON inputs')
  .action((path: string, inputsPath: string, opts: { output?: string }) => {
    const m = load(path);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(inputsPath, 'utf8'));
    } catch (e) {
      fail(`cannot read inputs ${inputsPath}: ${(e as Error).message}`);
    }
    const feeds: Record<string, Tensor> = {};
    for (const info of m.inputs) {
      const v = json[info.name] as { shape?: number[]; dtype?: string; data?: number[] } | number[] | undefined;
      if (v === undefined) fail(`${inputsPath} has no input '${info.name}' (${info.dtype} [${info.shape.join(', ')}])`);
      const dtype =
        info.dtype === 'int64' || info.dtype === 'int32' ? 'int64' : info.dtype === 'float64' ? 'float64' : 'float32';
      feeds[info.name] = Array.isArray(v) ? tensor(v, { dtype }) : tensor(v.data ?? [], { shape: v.shape, dtype });
    }
    const out = m.run(feeds);
    const result = Object.fromEntries(
      Object.entries(out).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) }]),
    );
    if (opts.output) writeFileSync(opts.output, JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 1));
    m.dispose();
  });

program
  .command('export')
  .argument(
    '<layer.json>',
    'a PyTorch-style layer: {"config": {"kind": "LSTM", "input_size", "hidden_size", ...}, "params": state dict}',
  )
  .argument('<out.onnx>')
  .option('--opset <n>', 'ONNX opset', '17')
  .option('--sequence-lens', 'add an int32 sequence_lens input')
  .description(
    'export a recurrent layer given as config + PyTorch state dict (the fixture format) to ONNX, written atomically',
  )
  .action((layerPath: string, outPath: string, opts: { opset: string; sequenceLens?: boolean }) => {
    let json: { config?: Record<string, unknown>; params?: Record<string, { shape: number[]; data: number[] }> };
    try {
      json = JSON.parse(readFileSync(layerPath, 'utf8'));
    } catch (e) {
      fail(`cannot read ${layerPath}: ${(e as Error).message}`);
    }
    const c = json.config ?? {};
    const opset = Number(opts.opset);
    if (!Number.isInteger(opset) || opset < 7 || opset > 22)
      fail(`--opset must be an integer in 7..22, got '${opts.opset}'`);
    const Make = { RNN, LSTM, GRU }[String(c.kind) as 'RNN' | 'LSTM' | 'GRU'];
    if (!Make || !json.params) fail(`${layerPath}: expected {config: {kind: RNN|LSTM|GRU, ...}, params: {...}}`);
    const layer = new Make(Number(c.input_size), Number(c.hidden_size), {
      numLayers: Number(c.num_layers ?? 1),
      bidirectional: Boolean(c.bidirectional),
      batchFirst: Boolean(c.batch_first),
      bias: c.bias !== false,
      ...(c.nonlinearity ? { nonlinearity: c.nonlinearity as 'tanh' | 'relu' } : {}),
    });
    layer.loadStateDict(
      Object.fromEntries(Object.entries(json.params).map(([k, v]) => [k, tensor(v.data, { shape: v.shape })])),
    );
    atomicWriteFile(outPath, exportOnnx(layer, { opset, sequenceLens: opts.sequenceLens }));
    console.log(`wrote ${outPath}`);
  });

program.parse();
