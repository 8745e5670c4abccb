import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OnnxModel } from '@recur/onnx';
import { dispose, type Tensor, tidy } from '@recur/tensor';
import { type Comparison, compareTensor, type FixtureTensor, loadTensor, type Tolerance } from './fixture-tensor';
import type { CaseOptions } from './layer-case';

/** An ONNX case: `<model>.onnx.json` beside `<model>.onnx` (fixtures/torch and fixtures/onnx-node). */
export interface OnnxCase {
  op?: string;
  inputs: Record<string, FixtureTensor>;
  outputs_ort?: Record<string, FixtureTensor>;
  outputs_expected?: Record<string, FixtureTensor>;
}

export function isOnnxCase(json: unknown, file: string): json is OnnxCase {
  const c = json as OnnxCase;
  return file.endsWith('.onnx.json') && !!c?.inputs && !!(c.outputs_ort || c.outputs_expected);
}

/** The ONNX issue's bound: 1e-5 absolute, or relative for large values. */
const ONNX_TOLERANCE: Tolerance = { atol: 1e-5, rtol: 1e-5 };

/** Reads external data next to the model, checking that the file holds the declared bytes. */
export function externalReader(modelPath: string) {
  return (location: string, offset: number, length: number | undefined): Uint8Array => {
    const path = join(dirname(modelPath), location);
    const bytes = readFileSync(path);
    const end = length === undefined ? bytes.length : offset + length;
    if (offset < 0 || end > bytes.length) {
      throw new Error(
        `external data '${location}' has ${bytes.length} bytes, the model asks for bytes ${offset}..${end}`,
      );
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, end - offset);
  };
}

/** Loads the model next to the JSON, feeds its inputs, compares with onnxruntime's outputs (else ONNX's reference). */
export function runOnnxCase(c: OnnxCase, options: CaseOptions & { file: string }): Comparison[] {
  const modelPath = options.file.replace(/\.json$/, '');
  const model = OnnxModel.load(new Uint8Array(readFileSync(modelPath)), {
    readExternal: externalReader(modelPath),
    name: modelPath,
  });
  try {
    return tidy(() => {
      const feeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(c.inputs)) {
        feeds[name] = loadTensor(t, t.dtype === 'float64' ? 'float64' : 'float32');
      }
      const outputs = model.run(feeds);
      const want = c.outputs_ort ?? c.outputs_expected ?? {};
      const results = Object.entries(want).map(([name, w]) => {
        const got = outputs[name];
        if (!got) throw new Error(`the model produced no output '${name}'`);
        return compareTensor(name, got, w, ONNX_TOLERANCE);
      });
      dispose(outputs);
      return results;
    });
  } finally {
    model.dispose();
  }
}
