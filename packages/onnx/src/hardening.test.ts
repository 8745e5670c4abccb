import {
  DTypeError,
  FormatError,
  LimitError,
  numTensors,
  type RecurError,
  randomNormal,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
  ValueError,
} from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { encodeModel, node, tensorProto, valueInfo } from './builder';
import { OnnxModel } from './model';

function thrown(f: () => unknown): RecurError {
  try {
    f();
  } catch (e) {
    return e as RecurError;
  }
  throw new Error('expected an error');
}

/** An LSTM node over x [T=3, B=2, I=2] with H=2, and sequence_lens fed as an input. */
function lstmModel(attrs: Record<string, number | string | number[] | string[]> = {}): Uint8Array {
  return tidy(() =>
    encodeModel({
      nodes: [node('LSTM', ['x', 'W', 'R', '', 'lens'], ['y', 'h'], { hidden_size: 2, ...attrs })],
      inputs: [valueInfo('x', 'float32', [3, 2, 2]), valueInfo('lens', 'int32', [2])],
      outputs: [valueInfo('y', 'float32', [3, 1, 2, 2]), valueInfo('h', 'float32', [1, 2, 2])],
      initializers: [
        tensorProto('W', randomNormal([1, 8, 2], 0, 1, { seed: 1 })),
        tensorProto('R', randomNormal([1, 8, 2], 0, 1, { seed: 2 })),
      ],
    }),
  );
}

function runWith(m: OnnxModel, feeds: Record<string, Tensor>): Record<string, Tensor> {
  return tidy(() => m.run(feeds));
}

describe('ONNX models that should fail, fail clearly', () => {
  it('sequence_lens past T or negative is a ValueError naming the node and both numbers; 0..T run', () => {
    const m = OnnxModel.load(lstmModel());
    const x = randomNormal([3, 2, 2], 0, 1, { seed: 3 });
    for (const [lens, message] of [
      [[4, 1], /node 'LSTM_y' \(LSTM\): sequence_lens\[0\] = 4 is outside 0\.\.3/],
      [[2, -1], /sequence_lens\[1\] = -1 is outside 0\.\.3/],
    ] as const) {
      const e = thrown(() => runWith(m, { x, lens: tensor([...lens], { dtype: 'int32' }) }));
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toMatch(message);
    }
    const out = runWith(m, { x, lens: tensor([3, 0], { dtype: 'int32' }) });
    // A zero-length row gives zero outputs and keeps the initial (zero) state.
    expect(Array.from(out.h.dataSync()).slice(2)).toEqual([0, 0]);
    expect(Math.abs(out.h.dataSync()[0])).toBeGreaterThan(0);
    m.dispose();
  });

  it('a feed of the wrong dtype is a DTypeError naming the input, the declared and the given type', () => {
    const m = OnnxModel.load(lstmModel());
    const e = thrown(() =>
      m.run({
        x: tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { shape: [3, 2, 2], dtype: 'int32' }),
        lens: tensor([3, 3], { dtype: 'int32' }),
      }),
    );
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toBe("run: input 'x' is float32, got a int32 tensor (feed float32)");
    m.dispose();
  });

  it('attributes of the wrong type or count are FormatErrors naming the attribute', () => {
    const x = randomNormal([3, 2, 2], 0, 1, { seed: 3 });
    const lens = tensor([3, 3], { dtype: 'int32' });
    const cases: [Record<string, number | string | number[] | string[]>, RegExp][] = [
      [{ activations: [1, 2, 3] }, /attribute 'activations' should be a list of strings, got a list \[1,2,3\]/],
      [{ activations: ['Sigmoid'] }, /activations should list 3 function\(s\) \(3 per direction\), got 1/],
      [{ direction: 'sideways' }, /direction should be forward, reverse or bidirectional, got 'sideways'/],
      [{ direction: 7 }, /attribute 'direction' should be a string, got number 7/],
      [{ hidden_size: 3 }, /W should be \[1, 12, 2\], got \[1, 8, 2\]/],
      [{ layout: 2 }, /layout should be 0 or 1, got 2/],
      [{ clip: -1 }, /clip should be a positive float, got -1/],
    ];
    for (const [attrs, message] of cases) {
      const m = OnnxModel.load(lstmModel(attrs));
      const e = thrown(() => runWith(m, { x, lens }));
      expect(e.name, JSON.stringify(attrs)).toMatch(/FormatError|ShapeError/);
      expect(e.message).toMatch(message);
      m.dispose();
    }
  });

  const tiny = (
    nodes: ReturnType<typeof node>[],
    out: string,
    extra: Partial<Parameters<typeof encodeModel>[0]> = {},
  ) => encodeModel({ nodes, inputs: [], outputs: [valueInfo(out, 'float32', [])], initializers: [], ...extra });

  it('sizes that come from data are capped at run time: Range, ConstantOfShape, Expand', () => {
    const int64 = (name: string, values: number[]) =>
      tidy(() => tensorProto(name, tensor(values, { dtype: 'int32' }), 'int64'));
    const cases: [Uint8Array, RegExp][] = [
      [
        tiny([node('Range', ['s', 'l', 'd'], ['y'])], 'y', {
          initializers: [int64('s', [0]), int64('l', [2 ** 31 - 1]), int64('d', [1])],
        }),
        /node 'Range_y' \(Range\): arange\(0, 2147483647, 1\): \[2147483647\] is 2,147,483,647 elements, over the limit/,
      ],
      [
        tiny([node('ConstantOfShape', ['s'], ['y'])], 'y', { initializers: [int64('s', [65536, 65536])] }),
        /ConstantOfShape.*\[65536, 65536\] is 4,294,967,296 elements, over the limit/,
      ],
      [
        tiny([node('Expand', ['v', 's'], ['y'])], 'y', {
          initializers: [tidy(() => tensorProto('v', tensor([1]))), int64('s', [65536, 65536])],
        }),
        /Expand.*broadcastTo: \[65536, 65536\] is 4,294,967,296 elements/,
      ],
    ];
    for (const [bytes, message] of cases) {
      const m = OnnxModel.load(bytes);
      const e = thrown(() => runWith(m, {}));
      expect(e).toBeInstanceOf(LimitError);
      expect(e.message).toMatch(message);
      m.dispose();
    }
  });

  it('a Split whose num_outputs disagrees with its outputs is refused at once, not run', () => {
    const bytes = encodeModel({
      nodes: [node('Split', ['x'], ['a'], { axis: 0, num_outputs: 1_000_000_000 })],
      inputs: [valueInfo('x', 'float32', [4])],
      outputs: [valueInfo('a', 'float32', [4])],
      initializers: [],
      opset: 18,
    });
    const m = OnnxModel.load(bytes);
    const start = Date.now();
    const e = thrown(() => runWith(m, { x: tensor([1, 2, 3, 4]) }));
    expect(Date.now() - start).toBeLessThan(1000);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/num_outputs is 1000000000, but the node has 1 output\(s\)/);
    m.dispose();
  });

  it('shapes given as data are checked: a negative dim, a float shape, a 0 copying a missing axis', () => {
    const int64 = (name: string, values: number[]) =>
      tidy(() => tensorProto(name, tensor(values, { dtype: 'int32' }), 'int64'));
    const v = tidy(() => tensorProto('v', tensor([1, 2, 3, 4])));
    const run = (bytes: Uint8Array) => {
      const m = OnnxModel.load(bytes);
      try {
        return thrown(() => runWith(m, {}));
      } finally {
        m.dispose();
      }
    };
    expect(
      run(tiny([node('ConstantOfShape', ['s'], ['y'])], 'y', { initializers: [int64('s', [2, -3])] })).message,
    ).toMatch(/shape \[2, -3\] has a negative dimension -3/);
    const floatShape = tidy(() => tensorProto('s', tensor([2, 2])));
    // A float shape from an initializer is known at load: refused there, before anything runs.
    const floatLoad = thrown(() =>
      OnnxModel.load(tiny([node('Reshape', ['v', 's'], ['y'])], 'y', { initializers: [v, floatShape] })),
    );
    expect(floatLoad).toBeInstanceOf(DTypeError);
    expect(floatLoad.message).toMatch(/input 1 's' is float .*takes int/);
    expect(
      run(tiny([node('Reshape', ['v', 's'], ['y'])], 'y', { initializers: [v, int64('s', [2, 2, 0])] })).message,
    ).toMatch(/copies \(0\) an axis that \[4\] lacks/);
    expect(
      run(tiny([node('Gather', ['v', 's'], ['y'], { axis: 3 })], 'y', { initializers: [v, int64('s', [0])] })),
    ).toBeInstanceOf(ShapeError);
  });

  it('tensors made from Constant attributes are disposed when the graph check fails after them', () => {
    const before = numTensors();
    const value = tidy(() => tensorProto('c', tensor([1, 2, 3])));
    const bytes = encodeModel({
      nodes: [node('Constant', [], ['c'], { value: { tensor: value } }), node('Add', ['c', 'nowhere'], ['y'])],
      inputs: [],
      outputs: [valueInfo('y', 'float32', [3])],
      initializers: [],
    });
    const e = thrown(() => OnnxModel.load(bytes));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/reads 'nowhere', which is no input, initializer or node output/);
    expect(numTensors()).toBe(before);
  });

  it('names that could reach Object.prototype are not operators or attributes', () => {
    const bytes = encodeModel({
      nodes: [node('constructor', ['x'], ['y'])],
      inputs: [valueInfo('x', 'float32', [1])],
      outputs: [valueInfo('y', 'float32', [1])],
      initializers: [],
    });
    expect(thrown(() => OnnxModel.load(bytes)).message).toMatch(/operator constructor .* is not supported/);
    const proto = encodeModel({
      nodes: [node('Identity', ['x'], ['y'], { __proto__: 5 } as never)],
      inputs: [valueInfo('x', 'float32', [1])],
      outputs: [valueInfo('y', 'float32', [1])],
      initializers: [],
    });
    const m = OnnxModel.load(proto);
    const y = runWith(m, { x: tensor([2]) }).y;
    expect(y.dataSync()[0]).toBe(2);
    m.dispose();
  });

  it('nodes are checked against their operator schema at load, as onnx.checker does', () => {
    const load = (nodes: ReturnType<typeof node>[], opset = 17, inputs = ['x']) =>
      thrown(() =>
        OnnxModel.load(
          encodeModel({
            nodes,
            inputs: inputs.map((n) => valueInfo(n, 'float32', [2, 3])),
            outputs: [valueInfo('y', 'float32', [2, 3])],
            initializers: [],
            opset,
          }),
        ),
      );
    const cases: [RecurError, RegExp][] = [
      [load([node('Add', ['x'], ['y'])]), /node 'Add_y' \(Add, opset 17\) has 1 input\(s\); the operator takes 2/],
      [
        load([node('Relu', ['x', 'x'], ['y'])]),
        /node 'Relu_y' \(Relu, opset 17\) has 2 input\(s\); the operator takes 1/,
      ],
      [load([node('Where', ['x', 'x'], ['y'])]), /\(Where, opset 17\) has 2 input\(s\); the operator takes 3/],
      [load([node('Tanh', ['x'], ['y', 'z'])]), /\(Tanh, opset 17\) has 2 output\(s\); the operator gives 1/],
      [load([node('Cast', ['x'], ['y'])]), /\(Cast, opset 17\) lacks its required attribute 'to' \(int\)/],
      [load([node('Cast', ['x'], ['y'], { to: 'float' })]), /attribute 'to' should be int, got string/],
      [
        load([node('Slice', ['x'], ['y'], { starts: [0] })], 9),
        /\(Slice, opset 9\) lacks its required attribute 'ends'/,
      ],
      [
        load([node('Slice', ['x'], ['y'], { starts: [0], ends: [1] })], 11),
        /\(Slice, opset 11\) has 1 input\(s\); the operator takes 3 to 5/,
      ],
      [load([node('Unsqueeze', ['x'], ['y'])], 11), /lacks its required attribute 'axes'/],
      [load([node('TopK', ['x'], ['y', 'i'])], 11), /\(TopK, opset 11\) has 1 input\(s\); the operator takes 2/],
      [load([node('LSTM', ['x', 'x', 'x'], ['y'])]), /\(LSTM, opset 17\) lacks its required attribute 'hidden_size'/],
      [
        load([node('GRU', ['x', 'x', 'x', '', '', '', 'x'], ['y'], { hidden_size: 3 })]),
        /\(GRU, opset 17\) has 7 input\(s\); the operator takes 3 to 6/,
      ],
    ];
    for (const [e, message] of cases) {
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
    }
    // Element types known at load (initializers, graph inputs) are checked against the operator.
    const typed = (
      nodes: ReturnType<typeof node>[],
      inits: ReturnType<typeof tensorProto>[],
      x: 'float32' | 'int32' = 'float32',
    ) =>
      thrown(() =>
        OnnxModel.load(
          encodeModel({
            nodes,
            inputs: [valueInfo('x', x, [2, 3])],
            outputs: [valueInfo('y', 'float32', [2, 3])],
            initializers: inits,
          }),
        ),
      );
    const gather = typed([node('Gather', ['x', 'i'], ['y'])], [tensorProto('i', tensor([0.5, 1]))]);
    expect(gather).toBeInstanceOf(DTypeError);
    expect(gather.message).toMatch(
      /node 'Gather_y' \(Gather, opset 17\): input 1 'i' is float \(ONNX type 1\); the operator takes int there/,
    );
    const lstm = typed([node('LSTM', ['x', 'x', 'x'], ['y'], { hidden_size: 3 })], [], 'int32');
    expect(lstm.message).toMatch(/\(LSTM, opset 17\): input 0 'x' is int .*takes float/);
    // Omitted optional inputs (trailing empty names) do not count.
    const ok = OnnxModel.load(
      encodeModel({
        nodes: [node('Clip', ['x', '', ''], ['y'])],
        inputs: [valueInfo('x', 'float32', [2])],
        outputs: [valueInfo('y', 'float32', [2])],
        initializers: [],
      }),
    );
    ok.dispose();
  });
});
