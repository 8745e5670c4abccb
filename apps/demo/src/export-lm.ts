import { OrtModel } from '@recur/backend-ort';
import { atomicWriteFile } from '@recur/files/node';
import { exportOnnx } from '@recur/onnx';
import { dispose, tensor, tidy } from '@recur/tensor';
import { loadNames } from './corpus';
import { loadLM } from './lm-checkpoint';
import type { Output } from './train-lm';

export interface ExportResult {
  path: string;
  bytes: number;
  maxAbsDiff: number;
}

/** Token ids of a few names, as one [1, T] batch: the input both runtimes see. */
export function probeTokens(encode: (s: string) => number[], count = 6): number[] {
  return encode(`\n${loadNames(7).slice(0, count).join('\n')}\n`);
}

/**
 * Writes a train-lm checkpoint as ONNX (tokens int64 [batch, sequence] → logits), atomically, with
 * the vocabulary in the model's metadata; then runs it in onnxruntime-node and reports the largest
 * difference from recur's own logits on the same input.
 */
export async function exportLM(checkpoint: string, path: string, out: Output): Promise<ExportResult> {
  const { lm, vocab } = loadLM(checkpoint);
  try {
    const bytes = exportOnnx(lm, { metadata: { vocab: JSON.stringify(vocab.toJSON()) } });
    atomicWriteFile(path, bytes);
    const ids = probeTokens((s) => vocab.encode(s));
    const tokens = tensor([ids], { dtype: 'int32' });
    const ours = tidy(() => lm.forward(tokens).logits);
    const session = await OrtModel.fromOnnx(bytes);
    const theirs = await session.run({ tokens });
    await session.release();
    const a = ours.dataSync();
    const b = theirs.output.dataSync();
    if (a.length !== b.length) throw new Error(`onnxruntime returned ${b.length} logits, recur ${a.length}`);
    let maxAbsDiff = 0;
    for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
    dispose([tokens, ours, theirs.output]);
    out.log(`wrote ${path} (${bytes.length} bytes): ${lm.config.cell}(${lm.config.hiddenSize}) language model`);
    out.log(
      `onnxruntime-node vs recur on ${ids.length} characters: largest difference in logits ${maxAbsDiff.toExponential(2)}`,
    );
    return { path, bytes: bytes.length, maxAbsDiff };
  } finally {
    lm.dispose();
  }
}
