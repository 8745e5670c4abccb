import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

/** The repository's vendored copy of the shared bench models. */
export function benchModel(name: string): string | null {
  const path = join(fileURLToPath(new URL('../../../fixtures/bench/', import.meta.url)), `${name}.onnx`);
  return existsSync(path) ? path : null;
}

/** A raw session on a .onnx file or its bytes. */
export async function ortSession(path: string | Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path as string, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

export { ort };
