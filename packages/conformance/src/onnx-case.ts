import { loadOnnxFile } from '@recur/onnx/node';
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

/** Loads the model next to the JSON, feeds its inputs, compares with onnxruntime's outputs (else ONNX's reference). */
export function runOnnxCase(c: OnnxCase, options: CaseOptions & { file: string }): Comparison[] {
  const modelPath = options.file.replace(/\.json$/, '');
  const model = loadOnnxFile(modelPath);
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
