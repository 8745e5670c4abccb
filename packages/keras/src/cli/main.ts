#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cliProgram, runCli } from '@recur/cli';
import { atomicWriteFile } from '@recur/files/node';
import { exportOnnx } from '@recur/onnx';
import { RecurError } from '@recur/tensor';
import { Option } from 'commander';
import { loadModel } from '../io/load';
import { detectModelFile } from '../io/model-files';
import { saveModel } from '../io/save';
import { tfjsWeightNames } from '../io/tfjs-format';
import type { Model } from '../model';

function formatOfFile(path: string): string {
  let head = new Uint8Array(0);
  try {
    head = readFileSync(path);
  } catch {
    // the loader says what is wrong with the path
  }
  return detectModelFile(head, path)?.description ?? 'an unrecognised file';
}

/** tfjs manifests say how each weight is stored; other formats store float32. */
function manifestQuantization(path: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!/\.json$/.test(path)) return out;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8'));
    for (const g of json.weightsManifest ?? []) {
      for (const w of g.weights ?? []) {
        const q = w.quantization;
        out.set(w.name, q ? `${q.dtype}${q.scale !== undefined ? ` (scale ${q.scale}, min ${q.min})` : ''}` : w.dtype);
      }
    }
  } catch {
    // the loader has already reported any problem with the file
  }
  return out;
}

function inspect(path: string, model: Model): void {
  console.log(
    `${path}: ${formatOfFile(path)}, model '${model.name}' (${model.layerType === 'Sequential' ? 'Sequential' : 'functional'})`,
  );
  model.summary();
  for (const t of model.inputs) console.log(`  input  ${t.node.layer.name}: ${t.dtype} ${JSON.stringify(t.shape)}`);
  for (const t of model.outputs) console.log(`  output ${t.node.layer.name}: ${t.dtype} ${JSON.stringify(t.shape)}`);
  const stored = manifestQuantization(path);
  console.log('  weights:');
  for (const l of model.layers) {
    for (const w of tfjsWeightNames(l)) {
      console.log(`    ${w.name.padEnd(48)} [${w.tensor.shape.join(', ')}] ${stored.get(w.name) ?? w.tensor.dtype}`);
    }
  }
  if (model.trainingConfig) console.log(`  training config: ${JSON.stringify(model.trainingConfig)}`);
  if (model.userDefinedMetadata) console.log(`  user metadata: ${JSON.stringify(model.userDefinedMetadata)}`);
}

const program = cliProgram(
  'recur-keras',
  'inspect and convert Keras and TensorFlow.js model files (model.json, .keras, .h5)',
);

program
  .command('inspect')
  .argument('<model>', 'a model.json, .keras, .h5 or recur model file')
  .description('the summary table, inputs, outputs, weights (with their quantization) and training config')
  .action(async (path: string) => {
    const model = await loadModel(path);
    inspect(path, model);
    model.dispose();
  });

program
  .command('convert')
  .argument('<model>', 'a model.json, .keras, .h5 or recur model file')
  .argument('<out>', 'out.onnx, out.safetensors (recur), out.keras, or out/model.json (TensorFlow.js)')
  .addOption(
    new Option('--opset <n>', 'ONNX opset').default('17').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 13 || n > 22) {
        console.error(`recur-keras: --opset must be an integer from 13 to 22, got '${v}'`);
        process.exit(2);
      }
      return String(n);
    }),
  )
  .description('write the model in another format (ONNX runs in onnxruntime)')
  .action(async (path: string, out: string, opts: { opset: string }) => {
    const model = await loadModel(path);
    if (/\.onnx$/i.test(out)) {
      const bytes = exportOnnx(model, { opset: Number(opts.opset) });
      try {
        const { mkdirSync } = await import('node:fs');
        mkdirSync(dirname(out), { recursive: true });
        atomicWriteFile(out, bytes);
      } catch (e) {
        throw new RecurError(`cannot write ${out}: ${(e as Error).message}`, 'io');
      }
    } else {
      await saveModel(model, out);
    }
    console.log(`wrote ${out}`);
    model.dispose();
  });

void runCli(program);
