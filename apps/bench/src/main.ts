import { spawnSync } from 'node:child_process';
import { wasmVariant } from '@recur/backend-js';
import { benchDoors } from './doors';
import { gemmReferenceGflops } from './gemm-reference';
import { benchKeras } from './keras';
import { benchMatMul } from './mat-mul';
import { benchOrtOverhead } from './ort-overhead';
import { benchPackedVsPadded } from './packed';
import { benchLstmTrainStep, benchRecurrentForward } from './recurrent';
import { printTable } from './timing';
import { benchCharLMTraining, benchTrainStepOverhead } from './train';

/**
 * `pnpm bench`: every workload, recur next to TensorFlow.js (and onnxruntime-node where a workload
 * has an ONNX model) in one run. Times are medians; compare ratios, not absolute numbers, since
 * the machines are shared.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // `--node 22,24`: the same tables under each of those Node versions (the npm registry's `node`
  // package), one after the other in this run, so their ratios sit side by side.
  const at = args.indexOf('--node');
  if (at >= 0) {
    const versions = (args[at + 1] ?? '').split(',').filter(Boolean);
    if (versions.length === 0 || versions.some((v) => !/^\d+$/.test(v))) {
      console.error(`bench: --node takes major versions, e.g. --node 20,24; got '${args[at + 1] ?? ''}'`);
      process.exit(2);
    }
    const rest = args.filter((_, i) => i !== at && i !== at + 1);
    for (const v of versions) {
      const r = spawnSync('npx', ['-y', `node@${v}`, '--import', 'tsx', 'src/main.ts', ...rest], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
    return;
  }
  const only = args;
  const want = (name: string) => only.length === 0 || only.includes(name);
  console.log(
    `recur benchmarks — node ${process.version}, backend-js WebAssembly: ${wasmVariant() ?? 'off'}, ${new Date().toISOString()}`,
  );
  if (want('matmul')) printTable('matMul, float32', await benchMatMul(), 'GFLOP/s', 'recur backend-js');
  if (want('lstm'))
    printTable(
      'LSTM forward, I=128 H=256',
      await benchRecurrentForward('lstm'),
      'tokens/s',
      'onnxruntime-node (1 thread)',
      'token by token',
    );
  if (want('gru'))
    printTable(
      'GRU forward, I=128 H=256',
      await benchRecurrentForward('gru'),
      'tokens/s',
      'recur backend-js',
      'token by token',
    );
  if (want('doors'))
    printTable(
      'One LSTM through both doors (Keras-layout weights against PyTorch-layout)',
      await benchDoors(),
      'tokens/s',
      'PyTorch door (LSTM)',
    );
  if (want('ort'))
    printTable(
      'backend-ort against a raw InferenceSession, same .onnx file, 1 thread',
      await benchOrtOverhead(),
      'tokens/s',
      'raw InferenceSession',
    );
  if (want('packed'))
    printTable(
      'Packed against padded',
      await benchPackedVsPadded(),
      'tokens/s',
      'recur backend-js, padded',
      'packed / padded time (token ratio)',
    );
  if (want('train') || want('charlm')) {
    // The ceiling the training tables measure themselves against, in this run.
    console.log(
      `\nbackend-js gemm [1024×1024]·[1024×1024] in this run: ${(await gemmReferenceGflops()).toFixed(1)} GFLOP/s`,
    );
  }
  const vsGemm = 'GFLOP/s, × the 1024² gemm';
  if (want('train'))
    printTable('LSTM training step', await benchLstmTrainStep(), 'tokens/s', 'recur backend-js', vsGemm);
  if (want('charlm'))
    printTable('Char-LM training', await benchCharLMTraining(), 'tokens/s', 'recur backend-js', vsGemm);
  if (want('charlm') || want('step'))
    printTable(
      "The training step's own cost (the same update, alternated)",
      await benchTrainStepOverhead(),
      'tokens/s',
      'by hand: valueAndGradsOf + optimizer.step',
    );
  if (want('keras')) {
    const k = await benchKeras();
    printTable('Keras / TensorFlow.js model.json: load', k.load, '—', 'tf.loadLayersModel on tfjs-wasm');
    printTable('Keras / TensorFlow.js model.json: predict', k.predict, 'tokens/s', 'tfjs-layers predict on tfjs-wasm');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
