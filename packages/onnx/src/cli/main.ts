#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { cliProgram, runCli } from '@recur/cli';
import { atomicWriteFile } from '@recur/files/node';
import { CELLS, TorchRecurrent } from '@recur/layers';
import { ConfigError, dispose, FormatError, RecurError, type Tensor, tensor } from '@recur/tensor';
import { exportOnnx } from '../export';
import type { OnnxModel } from '../model';
import { loadOnnxFile } from '../node';

/** A JSON file the user named; unreadable or unparsable is a recur error naming it. */
function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RecurError(`cannot read ${what} ${path}: ${(e as Error).message}`, 'io');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${what} is not valid JSON (${(e as Error).message})`, { file: path });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One feed from the inputs JSON: nested arrays, or {shape, data}; the dtype is the model's. */
function feedFrom(inputsPath: string, info: OnnxModel['inputs'][number], v: unknown): Tensor {
  const dtype =
    info.dtype === 'float64'
      ? 'float64'
      : info.dtype === 'bool'
        ? 'bool'
        : info.dtype.startsWith('float')
          ? 'float32'
          : 'int64';
  const where = `${inputsPath}: input '${info.name}' (${info.dtype} [${info.shape.join(', ')}])`;
  if (Array.isArray(v)) return tensor(v as number[], { dtype });
  if (isObject(v) && Array.isArray(v.data) && (v.shape === undefined || Array.isArray(v.shape))) {
    return tensor(v.data as number[], { shape: v.shape as number[] | undefined, dtype });
  }
  throw new FormatError(
    `${where} should be a nested array or {"shape": [...], "data": [...]}, got ${JSON.stringify(v)?.slice(0, 40)}`,
  );
}

function writeOutput(path: string, text: string): void {
  atomicWriteFile(path, new TextEncoder().encode(text));
}

const program = cliProgram('recur-onnx', 'inspect and run ONNX models with recur');

program
  .command('inspect')
  .argument('<model.onnx>')
  .description('inputs and outputs with shapes, operators with counts, parameter count')
  .action((path: string) => {
    const m = loadOnnxFile(path);
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
  .argument('<inputs.json>', 'inputs as {"name": {"shape": [...], "data": [...]}} or nested arrays')
  .option('-o, --output <file>', 'write the outputs as JSON instead of printing them')
  .description('run a model on JSON inputs')
  .action((path: string, inputsPath: string, opts: { output?: string }) => {
    const json = readJson(inputsPath, 'the inputs file');
    if (!isObject(json))
      throw new FormatError(
        `the inputs should be an object of named inputs, got ${JSON.stringify(json)?.slice(0, 40)}`,
        {
          file: inputsPath,
        },
      );
    const m = loadOnnxFile(path);
    const feeds: Record<string, Tensor> = {};
    try {
      for (const info of m.inputs) {
        if (!(info.name in json))
          throw new ConfigError(`${inputsPath} has no input '${info.name}' (${info.dtype} [${info.shape.join(', ')}])`);
        feeds[info.name] = feedFrom(inputsPath, info, json[info.name]);
      }
      const out = m.run(feeds);
      const result = Object.fromEntries(
        Object.entries(out).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) }]),
      );
      if (opts.output) writeOutput(opts.output, JSON.stringify(result));
      else console.log(JSON.stringify(result, null, 1));
      dispose(Object.values(out));
    } finally {
      dispose(Object.values(feeds));
      m.dispose();
    }
  });

const positiveInt = (layerPath: string, key: string, v: unknown, fallback?: number): number => {
  const n = v === undefined ? fallback : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    throw new FormatError(`config.${key} should be a positive integer, got ${JSON.stringify(v)}`, { file: layerPath });
  return n;
};

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
    const opset = Number(opts.opset);
    if (!Number.isInteger(opset) || opset < 7 || opset > 22)
      throw new ConfigError(`--opset must be an integer in 7..22, got '${opts.opset}'`);
    const json = readJson(layerPath, 'the layer file');
    const c = isObject(json) && isObject(json.config) ? json.config : undefined;
    const params = isObject(json) && isObject(json.params) ? json.params : undefined;
    const cell = c && CELLS.find((k) => k.names.torch === String(c.kind));
    if (!c || !params || !cell)
      throw new FormatError('expected {"config": {"kind": "RNN" | "LSTM" | "GRU", ...}, "params": {...}}', {
        file: layerPath,
      });
    const layer = new TorchRecurrent(
      cell,
      positiveInt(layerPath, 'input_size', c.input_size),
      positiveInt(layerPath, 'hidden_size', c.hidden_size),
      {
        numLayers: positiveInt(layerPath, 'num_layers', c.num_layers, 1),
        bidirectional: Boolean(c.bidirectional),
        batchFirst: Boolean(c.batch_first),
        bias: c.bias !== false,
        ...(c.nonlinearity ? { activations: [String(c.nonlinearity)] } : {}),
      },
    );
    const state: Record<string, Tensor> = {};
    try {
      for (const [k, v] of Object.entries(params)) {
        if (!isObject(v) || !Array.isArray(v.data) || !Array.isArray(v.shape))
          throw new FormatError(`params['${k}'] should be {"shape": [...], "data": [...]}`, { file: layerPath });
        state[k] = tensor(v.data as number[], { shape: v.shape as number[] });
      }
      layer.loadStateDict(state);
    } finally {
      dispose(Object.values(state));
    }
    atomicWriteFile(outPath, exportOnnx(layer, { opset, sequenceLens: opts.sequenceLens }));
    console.log(`wrote ${outPath}`);
  });

void runCli(program);
