import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { JsBackend } from '@recur/backend-js';
import { getBackend, numTensors, setBackend } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { BACKENDS, backendNamed } from './backends';
import { FIXTURES_DIR } from './fixtures';
import { formatOf } from './formats';
import { listFixtureFiles } from './runner';

/** Model files, fits and walk-throughs: run through @recur/keras, float32 only (the files are float32). */
const KERAS_FORMATS = new Set([
  'keras-model',
  'tfjs-model.json',
  'keras-fit',
  'keras-walkthrough',
  'keras-bidirectional-constant',
  'keras-shapes',
]);

const cases = listFixtureFiles()
  .map((file) => ({ file: relative(FIXTURES_DIR, file), json: JSON.parse(readFileSync(file, 'utf8')) }))
  .map((c) => ({ ...c, format: formatOf(c.json, c.file) }))
  .filter((c) => c.format);

describe('fixture cases (every vendored file in a format the runner knows)', () => {
  it('finds the layer, packed, training and ONNX fixtures', () => {
    const byFormat = (name: string) =>
      cases
        .filter((c) => c.format?.name === name)
        .map((c) => c.file)
        .sort();
    expect(byFormat('layer')).toEqual([
      'torch/gru_1l.json',
      'torch/lstm_1l.json',
      'torch/lstm_2l_bi.json',
      'torch/rnn_relu_2l_bi.json',
      'torch/rnn_tanh_1l.json',
    ]);
    expect(byFormat('packed')).toEqual(['torch/packed_bilstm_tagger.json', 'torch/packed_rnn_tagger.json']);
    expect(byFormat('train')).toEqual(['torch/train_charlm_gru_adam.json', 'torch/train_charlm_lstm_sgd.json']);
    // ONNX's own node tests (142) and the PyTorch exports (legacy, dynamo with external data, attributes).
    expect(byFormat('onnx').filter((f) => f.startsWith('onnx-node/'))).toHaveLength(142);
    // ONNX 1.12's node tests for the operators PyTorch's exporters emit, and the older opset forms
    // (tools/onnx-node-tests): every case the converter writes.
    expect(byFormat('onnx').filter((f) => f.startsWith('onnx-node-ops/'))).toHaveLength(272);
    // PyTorch 1.13's TorchScript exporter at opsets 9, 11, 14, 17 (tools/torch-exports).
    expect(byFormat('onnx').filter((f) => f.startsWith('torch-1.13/'))).toHaveLength(30);
    expect(byFormat('onnx').filter((f) => f.startsWith('torch/'))).toHaveLength(8);
    // Keras and tfjs model files, tfjs fits, Keras walk-throughs.
    expect(byFormat('keras-model')).toHaveLength(13);
    expect(byFormat('tfjs-model.json')).toHaveLength(10);
    expect(byFormat('keras-fit')).toEqual([
      'tfjs-fit/embed_lstm_sgd_sparse.fit.json',
      'tfjs-fit/gru_adam_binary.fit.json',
    ]);
    expect(byFormat('keras-walkthrough')).toEqual(['keras/keras_hello_rnn.json']);
    expect(byFormat('keras-bidirectional-constant')).toEqual(['keras/keras_bilstm_constant.json']);
    expect(byFormat('keras-shapes')).toEqual(['keras/keras_shapes.json']);
    // Every JSON file under fixtures/ is in a known format.
    expect(listFixtureFiles().length).toBe(cases.length);
  });

  // The PyTorch 1.13 exports on backend-ort too (onnxruntime-node sessions), against PyTorch's outputs.
  for (const { file, json, format } of cases.filter((c) => c.file.startsWith('torch-1.13/'))) {
    it(`${file} (onnx) on ort matches PyTorch`, async () => {
      const results = await format?.runWholeModel?.(json, join(FIXTURES_DIR, file));
      expect((results ?? []).filter((r) => !r.ok).map((r) => r.name)).toEqual([]);
      expect(results?.length).toBeGreaterThan(0);
    });
  }

  for (const { file, json, format } of cases.filter((c) => c.format?.name === 'onnx')) {
    const float64 = Object.values(json.inputs as Record<string, { dtype: string }>).some((t) => t.dtype === 'float64');
    for (const backend of BACKENDS.filter((b) => !b.wholeModel)) {
      if (float64 && !backend.float64) {
        it(`${file} (onnx) on ${backend.name}: refused, the backend has no float64`, async () => {
          const previous = getBackend();
          setBackend(await backendNamed(backend.name));
          try {
            await expect(async () => format?.run(json, { file: join(FIXTURES_DIR, file) })).rejects.toThrow(
              /no float64/,
            );
          } finally {
            setBackend(previous);
          }
        });
        continue;
      }
      it(`${file} (onnx) on ${backend.name} matches onnxruntime`, async () => {
        const previous = getBackend();
        setBackend(await backendNamed(backend.name));
        try {
          const before = numTensors();
          const results = await format?.run(json, { file: join(FIXTURES_DIR, file) });
          const bad = (results ?? [])
            .filter((r) => !r.ok)
            .map((r) => `${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`);
          expect(bad).toEqual([]);
          expect(results?.length).toBeGreaterThan(0);
          expect(numTensors()).toBe(before);
        } finally {
          setBackend(previous);
        }
      });
    }
  }

  for (const { file, json, format } of cases.filter(
    (c) => c.format?.name !== 'onnx' && !KERAS_FORMATS.has(c.format?.name ?? ''),
  )) {
    for (const backend of BACKENDS.filter((b) => !b.float64 && !b.wholeModel)) {
      it(`${file} (${format?.name}) on ${backend.name}: float32 matches every reference tensor`, async () => {
        const previous = getBackend();
        setBackend(await backendNamed(backend.name));
        try {
          const before = numTensors();
          const results = await format?.run(json, { dtype: 'float32', file });
          const bad = (results ?? [])
            .filter((r) => !r.ok)
            .map((r) => `${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`);
          expect(bad).toEqual([]);
          expect(numTensors()).toBe(before);
        } finally {
          setBackend(previous);
        }
      }, 120_000);
    }
    // backend-js in every mode: float32 with the WebAssembly SIMD kernels on and forced off.
    for (const [label, options, wasm] of [
      ['fused float32, WebAssembly kernels', { dtype: 'float32', fused: true }, true],
      ['fused float32, TypeScript kernels', { dtype: 'float32', fused: true }, false],
      ['composed float32', { dtype: 'float32', fused: false }, true],
      ['fused float64', { dtype: 'float64', fused: true }, true],
      ['composed float64', { dtype: 'float64', fused: false }, true],
    ] as const) {
      it(`${file} (${format?.name}): ${label} matches every reference tensor`, async () => {
        const previous = getBackend();
        setBackend(new JsBackend({ wasm }));
        try {
          const before = numTensors();
          const results = await format?.run(json, { ...options, file });
          const bad = (results ?? [])
            .filter((r) => !r.ok)
            .map((r) => `${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`);
          expect(bad).toEqual([]);
          expect(results?.length).toBeGreaterThan(5);
          expect(numTensors()).toBe(before);
        } finally {
          setBackend(previous);
        }
      });
    }
  }

  for (const { file, json, format } of cases.filter((c) => KERAS_FORMATS.has(c.format?.name ?? ''))) {
    const backends = [
      { name: 'js', create: () => new JsBackend(), setup: undefined },
      { name: 'js-ts', create: () => new JsBackend({ wasm: false }), setup: undefined },
      ...BACKENDS.filter((b) => b.name.startsWith('tfjs')),
    ];
    for (const backend of backends) {
      it(`${file} (${format?.name}) on ${backend.name}: every value matches the reference`, async () => {
        const previous = getBackend();
        setBackend(await backendNamed(backend.name));
        try {
          const before = numTensors();
          const results = await format?.run(json, { dtype: 'float32', file });
          const bad = (results ?? []).filter((r) => !r.ok).map((r) => `${r.name}: ${r.rule} (abs ${r.maxAbsError})`);
          expect(bad).toEqual([]);
          expect(results?.length).toBeGreaterThan(0);
          expect(numTensors()).toBe(before);
        } finally {
          setBackend(previous);
        }
      }, 120_000);
    }
  }
});
