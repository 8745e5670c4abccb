import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bidirectional,
  Dense,
  Input,
  Embedding as KEmbedding,
  GRU as KGRU,
  LSTM as KLSTM,
  Sequential as KSequential,
  loadModel,
  Model,
} from '@recur/keras';
import { Embedding, GRU, Linear, LSTM, type Module, RNN, Sequential } from '@recur/layers';
import { encodeModel, exportOnnx, node, valueInfo } from '@recur/onnx';
import { manualSeed } from '@recur/tensor';
import { RecurrentLM } from '@recur/train';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from './fixtures';

/**
 * Every graph recur writes passes ONNX's own checker with full_check and strict shape inference.
 * The checker is the `onnx` Python package (Debian: apt-get install python3-onnx, which .ci/run
 * installs where it can). Where it is missing, the test says so in its output and checks only what
 * JavaScript can (the export succeeds) — it never passes silently as if the checker had run.
 */
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
const onnxVersion = PYTHON
  ? execFileSync(PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' }).trim()
  : null;
// onnx 1.12 (Debian 12) knows opsets up to 17; newer ones up to their release.
const checkerMaxOpset = onnxVersion
  ? Number(
      execFileSync(PYTHON as string, ['-c', 'import onnx.defs; print(onnx.defs.onnx_opset_version())'], {
        encoding: 'utf8',
      }).trim(),
    )
  : 0;

const CHECK = `
import sys, onnx
from onnx import checker, shape_inference
bad = []
for path in sys.argv[1:]:
    try:
        m = onnx.load(path)
        checker.check_model(m, full_check=True)
        shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
        for o in m.graph.output:
            if not o.type.tensor_type.HasField('shape'):
                raise ValueError(f"output {o.name} has no shape")
    except Exception as e:
        bad.append(f"{path.split('/')[-1]}: {str(e).splitlines()[0][:300]}")
print("\\n".join(bad))
`;

async function models(): Promise<[string, Module, Parameters<typeof exportOnnx>[1]][]> {
  manualSeed(3);
  const inputs = Input({ shape: [null], dtype: 'int32' });
  const h = new Bidirectional(new KLSTM({ units: 4, returnSequences: true })).apply(
    new KEmbedding({ inputDim: 30, outputDim: 6, maskZero: true }).apply(inputs),
  );
  const functional = new Model({ inputs, outputs: new Dense({ units: 3, activation: 'softmax' }).apply(h) });
  const kseq = new KSequential([new KGRU({ units: 5, inputShape: [null, 3] }), new Dense({ units: 2 })]);
  const fromFile = await loadModel(join(FIXTURES_DIR, 'keras-files', 'k3_emb_lstm_softmax.keras'));
  return [
    ['lstm', new LSTM(3, 5, { batchFirst: true }), {}],
    ['lstm_2l_bi_state', new LSTM(3, 5, { numLayers: 2, bidirectional: true }), { initialState: true }],
    ['gru_bi_seqlens', new GRU(3, 4, { bidirectional: true, batchFirst: true }), { sequenceLens: true }],
    ['rnn_relu', new RNN(3, 4, { nonlinearity: 'relu' }), {}],
    ['sequential', new Sequential([new Embedding(20, 4), new LSTM(4, 6, { batchFirst: true }), new Linear(6, 3)]), {}],
    ['recurrent_lm', new RecurrentLM({ vocabSize: 20, embeddingDim: 4, hiddenSize: 6, cell: 'GRU' }), {}],
    ['keras_functional_masked', functional, {}],
    ['keras_sequential', kseq, {}],
    ['keras_file_k3_emb_lstm_softmax', fromFile, {}],
  ];
}

describe('exports pass the ONNX checker (full_check) and strict shape inference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-checker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const opset of [14, 15, 16, 17, 18, 19, 20, 21, 22]) {
    it(`opset ${opset}`, async () => {
      for (const [name, model, options] of await models()) {
        writeFileSync(join(dir, `${name}_opset${opset}.onnx`), exportOnnx(model, { ...options, opset }));
      }
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(`_opset${opset}.onnx`))
        .map((f) => join(dir, f));
      expect(files).toHaveLength(9);
      if (!PYTHON || opset > checkerMaxOpset) {
        console.log(
          `ONNX checker NOT RUN at opset ${opset}: ${PYTHON ? `onnx ${onnxVersion} knows opsets up to ${checkerMaxOpset}` : 'python3 with the onnx package is not installed (apt-get install python3-onnx)'}`,
        );
        return;
      }
      const bad = execFileSync(PYTHON, ['-c', CHECK, ...files], { encoding: 'utf8' }).trim();
      expect(bad.split('\n').filter(Boolean)).toEqual([]);
    }, 120_000);
  }

  it.runIf(!!PYTHON)(
    'the check refuses what strict tools refuse (an output without a shape, a wrong declared shape)',
    () => {
      const noShape = valueInfo('y', 'float32', []);
      delete noShape.type?.tensorType?.shape;
      const files = {
        'bad_no_shape.onnx': encodeModel({
          nodes: [node('Relu', ['x'], ['y'])],
          inputs: [valueInfo('x', 'float32', ['b', 3])],
          outputs: [noShape],
          initializers: [],
        }),
        'bad_wrong_shape.onnx': encodeModel({
          nodes: [node('Relu', ['x'], ['y'])],
          inputs: [valueInfo('x', 'float32', ['b', 3])],
          outputs: [valueInfo('y', 'float32', ['b', 4])],
          initializers: [],
        }),
      };
      for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
      const bad = execFileSync(PYTHON as string, ['-c', CHECK, ...Object.keys(files).map((f) => join(dir, f))], {
        encoding: 'utf8',
      });
      expect(bad).toMatch(/bad_no_shape\.onnx: .*shape/);
      expect(bad).toMatch(/bad_wrong_shape\.onnx: /);
    },
  );

  it('says which checker ran', () => {
    // .ci/run installs python3-onnx where it can; where it could not, this line says so.
    console.log(
      `ONNX checker: ${onnxVersion ? `onnx ${onnxVersion} (opsets ≤ ${checkerMaxOpset})` : 'NOT INSTALLED — the checks above did not run'}`,
    );
    expect(onnxVersion === null || checkerMaxOpset >= 17).toBe(true);
  });
});
