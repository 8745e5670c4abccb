import { OrtModel } from '@recur/backend-ort';
import { dispose, getBackend, setBackend, type Tensor, tidy } from '@recur/tensor';
import { backendNamed } from './backends';
import { type Comparison, compareTensor, FLOAT32_TOLERANCE, loadTensor } from './fixture-tensor';
import { buildTorchLayer, type LayerCase } from './layer-case';
import type { OnnxCase } from './onnx-case';

/**
 * The forward half of the suite on onnxruntime: a layer case's model is exported (weights loaded
 * on backend-js) and compiled into one InferenceSession; an ONNX case's file is compiled as is.
 */
export async function runLayerCaseOrt(c: LayerCase): Promise<Comparison[]> {
  const previous = getBackend();
  setBackend(await backendNamed('js'));
  const layer = buildTorchLayer(c.config, { dtype: 'float32' });
  try {
    tidy(() => layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, loadTensor(v)]))));
    const model = await OrtModel.fromModule(layer, { initialState: !!c.inputs.h_0 });
    const feeds: Record<string, Tensor> = { input: loadTensor(c.inputs.input) };
    if (c.inputs.h_0) feeds.h0 = loadTensor(c.inputs.h_0);
    if (c.inputs.c_0) feeds.c0 = loadTensor(c.inputs.c_0);
    const out = await model.run(feeds);
    await model.release();
    const results = Object.entries(c.outputs).map(([name, want]) =>
      compareTensor(name, out[name === 'h_n' ? 'h_n' : name === 'c_n' ? 'c_n' : 'output'], want, FLOAT32_TOLERANCE),
    );
    dispose([feeds, out]);
    return results;
  } finally {
    layer.dispose();
    setBackend(previous);
  }
}

export async function runOnnxCaseOrt(c: OnnxCase, file: string): Promise<Comparison[]> {
  // A path, not bytes: onnxruntime reads external data (*.onnx.data) next to the file.
  const model = await OrtModel.fromOnnx(file.replace(/\.json$/, ''));
  const previous = getBackend();
  setBackend(await backendNamed('js'));
  try {
    const feeds = Object.fromEntries(
      Object.entries(c.inputs).map(([k, v]) => [k, loadTensor(v, v.dtype === 'float64' ? 'float64' : 'float32')]),
    );
    const out = await model.run(feeds);
    // onnxruntime is checked against the model's own reference (PyTorch's or ONNX's outputs) where there is one.
    const want = c.outputs_expected ?? c.outputs_ort ?? {};
    const results = Object.entries(want).map(([name, w]) =>
      compareTensor(name, out[name], w, { atol: 1e-5, rtol: 1e-5 }),
    );
    dispose([feeds, out]);
    return results;
  } finally {
    await model.release();
    setBackend(previous);
  }
}
