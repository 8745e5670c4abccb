import { gradcheck } from '@recur/autograd';
import { type CellSpec, Sequential as LayerStack, runRecurrent, TorchRecurrent, torchToKeras } from '@recur/layers';
import { exportOnnx } from '@recur/onnx';
import { add, matMul, mul, randomUniform, split, sub, type Tensor, tensor, tidy } from '@recur/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Input, loadModel, Model, recurrentClasses } from '../index';

/*
 * A cell kind recur does not have, defined here as data only: the update-gate RNN (UGRNN,
 * Collins et al. 2016, "Capacity and trainability in recurrent neural networks"):
 *   c = tanh(W_c x + U_c h + b_c),  g = σ(W_g x + U_g h + b_g),  h' = g ⊙ h + (1 − g) ⊙ c.
 * Nothing else in recur knows it; both doors, the model files, gradients and ONNX export must
 * work from the spec alone.
 */
const UGRNN: CellSpec = {
  kind: 'ugrnn',
  // Keras' order differs from PyTorch's, so the layouts' reordering is exercised too.
  gates: { torch: ['candidate', 'update'], keras: ['update', 'candidate'], onnx: ['candidate', 'update'] },
  states: ['h'],
  activations: ['tanh', 'sigmoid'],
  names: { torch: 'UGRNN', keras: 'UGRNN', kerasCell: 'UGRNNCell', base: 'ugrnn' },
  step(xw, [h], w, o) {
    let hw = matMul(o.recurrentInput ?? h, w.wHh, { transposeB: true });
    if (w.bHh) hw = add(hw, w.bHh);
    const [zc, zg] = split(add(xw, hw), 2, 1);
    const c = o.activations[0](zc);
    const g = o.activations[1](zg);
    return [add(mul(g, h), mul(sub(1, g), c))];
  },
  onnx: {
    step(w, xw, [h]) {
      const [zc, zg] = w.split(w.op('Add', [xw, w.recurrent(h)]), 2);
      const c = w.activation(0, zc);
      const g = w.activation(1, zg);
      return [w.op('Add', [w.op('Mul', [g, h]), w.op('Mul', [w.op('Sub', [w.scalar(1), g]), c])])];
    },
  },
};

/** The equations above in plain loops over arrays (PyTorch layout): the reference. */
function reference(
  x: Float64Array | Float32Array,
  [B, T, I]: readonly number[],
  wIh: ArrayLike<number>,
  wHh: ArrayLike<number>,
  bIh: ArrayLike<number>,
  bHh: ArrayLike<number>,
  H: number,
): number[] {
  const out: number[] = [];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  for (let b = 0; b < B; b++) {
    let h = new Array<number>(H).fill(0);
    for (let t = 0; t < T; t++) {
      const z = (r: number) => {
        let s = bIh[r] + bHh[r];
        for (let k = 0; k < I; k++) s += wIh[r * I + k] * x[(b * T + t) * I + k];
        for (let k = 0; k < H; k++) s += wHh[r * H + k] * h[k];
        return s;
      };
      h = h.map((hj, j) => {
        const c = Math.tanh(z(j));
        const g = sig(z(H + j));
        return g * hj + (1 - g) * c;
      });
      out.push(...h);
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const { layer: UGRNNLayer, cell: UGRNNCell } = recurrentClasses(UGRNN);

/** A Keras model with a UGRNN layer holding the PyTorch-door layer's weights. */
function kerasTwin(torch: TorchRecurrent, options: { goBackwards?: boolean } = {}): Model {
  const inputs = Input({ shape: [null, torch.inputSize] });
  const rnn = new UGRNNLayer({ units: torch.hiddenSize, returnSequences: true, ...options });
  const model = new Model({ inputs, outputs: rnn.apply(inputs) });
  const sd = torch.stateDict();
  tidy(() => {
    const k = torchToKeras(
      UGRNN,
      { wIh: sd.weight_ih_l0, wHh: sd.weight_hh_l0, bIh: sd.bias_ih_l0, bHh: sd.bias_hh_l0 },
      { splitBias: false },
    );
    model.setWeights([k.kernel, k.recurrentKernel, k.bias as Tensor]);
  });
  return model;
}

describe('a cell kind defined only by its spec (UGRNN) runs through recur', () => {
  const x = randomUniform([2, 5, 3], -1, 1, { seed: 7 });
  const torch = new TorchRecurrent(UGRNN, 3, 4, { batchFirst: true, name: 'ugrnn_torch' });
  const sd = torch.stateDict();
  const expected = reference(
    x.dataSync() as Float32Array,
    x.shape,
    sd.weight_ih_l0.dataSync(),
    sd.weight_hh_l0.dataSync(),
    sd.bias_ih_l0.dataSync(),
    sd.bias_hh_l0.dataSync(),
    4,
  );

  it('the PyTorch door: parameters by PyTorch names, outputs equal the equations', () => {
    expect(torch.layerType).toBe('UGRNN');
    expect(Object.entries(sd).map(([k, v]) => `${k} ${v.shape}`)).toEqual([
      'weight_ih_l0 8,3',
      'weight_hh_l0 8,4',
      'bias_ih_l0 8',
      'bias_hh_l0 8',
    ]);
    const { output, hN } = torch.forward(x);
    expect(maxDiff(output.dataSync(), expected)).toBeLessThan(1e-6);
    expect(
      maxDiff(
        hN.dataSync(),
        expected.filter((_, i) => Math.floor(i / 4) % 5 === 4),
      ),
    ).toBeLessThan(1e-6);
  });

  for (const [label, reverse, lengths] of [
    ['forward', false, null],
    ['reverse, with lengths', true, [3, 2]],
  ] as const) {
    it(`gradcheck (${label}): the input, the initial state and every weight, through the composed step`, () => {
      const f64 = (shape: number[], seed: number) => randomUniform(shape, -0.5, 0.5, { seed, dtype: 'float64' });
      const r = gradcheck(
        (input, wIh, wHh, bIh, bHh, h0) =>
          runRecurrent(
            input,
            { wIh, wHh, bIh, bHh },
            { h0, seqLengths: lengths ? tensor(lengths, { dtype: 'int32' }) : undefined },
            {
              kind: UGRNN,
              hiddenSize: 4,
              projSize: 0,
              reverse,
              activations: ['tanh', 'sigmoid'],
              linearBeforeReset: true,
            },
          ).y,
        [f64([2, 3, 3], 1), f64([8, 3], 2), f64([8, 4], 3), f64([8], 4), f64([8], 5), f64([2, 4], 6)],
      );
      expect(r.ok, r.worst).toBe(true);
    });
  }

  it('the Keras door: a UGRNN layer with the same weights gives the same outputs, whole-sequence and step by step', () => {
    const model = kerasTwin(torch);
    expect(model.getLayer(model.layers[1].name).layerType).toBe('UGRNN');
    const y = model.predict(x) as Tensor;
    expect(maxDiff(y.dataSync(), expected)).toBeLessThan(1e-6);
    const cell = new UGRNNCell({ units: 4 });
    expect(cell.layerType).toBe('UGRNNCell');
    // The per-step path (a cell the whole-sequence op does not run) agrees.
    const steps = new UGRNNLayer({ units: 4, returnSequences: true, fused: false });
    steps.build([null, null, 3]);
    steps.setWeights(model.getWeights());
    expect(maxDiff((steps.apply(x) as Tensor).dataSync(), expected)).toBeLessThan(1e-6);
  });

  it('a Keras mask: masked steps repeat the last real output, as Keras does', () => {
    const model = kerasTwin(torch);
    const rnn = model.layers[1];
    const mask = tensor(
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      { dtype: 'bool' },
    );
    const y = rnn.apply(x, { mask }) as Tensor;
    const v = y.dataSync();
    // Row 0 stops after step 2: steps 3 and 4 repeat step 2's output.
    for (let t = 3; t < 5; t++) for (let j = 0; j < 4; j++) expect(v[t * 4 + j]).toBeCloseTo(expected[2 * 4 + j], 6);
    expect(maxDiff(v.slice(20), expected.slice(20))).toBeLessThan(1e-6);
  });

  for (const format of ['keras', 'tfjs', 'recur'] as const) {
    it(`saves as ${format} and loads back (by its spec's class names) to the same predictions`, async () => {
      const model = kerasTwin(torch);
      const { files } = await model.save(undefined, { format });
      const source =
        format === 'tfjs'
          ? {
              load: async () => {
                const json = JSON.parse(new TextDecoder().decode(files['model.json']));
                return {
                  modelTopology: json.modelTopology,
                  weightSpecs: json.weightsManifest[0].weights,
                  weightData: files['weights.bin'].slice().buffer,
                };
              },
            }
          : Object.values(files)[0];
      await expect(loadModel(source)).rejects.toThrow(/unknown layer class 'UGRNN'/);
      const again = await loadModel(source, { customObjects: { UGRNN: UGRNNLayer, UGRNNCell } });
      expect(again.layers[1].layerType).toBe('UGRNN');
      // Bit for bit the model that was saved.
      expect(maxDiff((again.predict(x) as Tensor).dataSync(), (model.predict(x) as Tensor).dataSync())).toBe(0);
    });
  }

  const runOrt = async (bytes: Uint8Array, feed: Record<string, Tensor>) => {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const feeds = Object.fromEntries(
      Object.entries(feed).map(([k, t]) => [k, new ort.Tensor('float32', t.dataSync() as Float32Array, [...t.shape])]),
    );
    const out = await session.run(feeds);
    await session.release();
    return out;
  };

  it('ONNX export (a Scan of its step) runs in onnxruntime-node equal to recur, through both doors', async () => {
    const fromTorch = await runOrt(exportOnnx(torch), { input: x });
    expect(maxDiff(fromTorch.output.data as Float32Array, expected)).toBeLessThan(1e-5);
    // A Keras model going backwards: the Scan runs in reverse.
    const back = kerasTwin(torch, { goBackwards: true });
    const mine = back.predict(x) as Tensor;
    const out = await runOrt(exportOnnx(back), { [back.inputs[0].node.layer.name]: x });
    expect(maxDiff(Object.values(out)[0].data as Float32Array, mine.dataSync())).toBeLessThan(1e-5);
    // A layer chain with the PyTorch-door layer inside.
    const chain = new LayerStack([torch]);
    const viaChain = await runOrt(exportOnnx(chain, { inputSize: 3 }), { input: x });
    expect(maxDiff(viaChain.output.data as Float32Array, expected)).toBeLessThan(1e-5);
  });
});
