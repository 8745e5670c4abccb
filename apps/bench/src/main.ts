import { benchMatMul } from './mat-mul';
import { printTable } from './timing';

/**
 * `pnpm bench`: every workload, recur next to TensorFlow.js (and onnxruntime-node where a workload
 * has an ONNX model) in one run. Times are medians; compare ratios, not absolute numbers, since
 * the machines are shared.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  console.log(`recur benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  if (want('matmul')) printTable('matMul, float32', await benchMatMul(), 'GFLOP/s', 'recur backend-js');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
