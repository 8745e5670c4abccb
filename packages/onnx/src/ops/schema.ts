import { DTypeError, FormatError } from '@recur/tensor';
import type { AttrValue } from '../attributes';

/**
 * What `onnx.checker` knows about each operator recur runs, per opset: how many inputs and outputs
 * a node may have, and which attributes it must carry (with their type). Checked when a model
 * loads, so a malformed node is an error naming it before anything runs.
 */
export interface OpSchema {
  inputs: [min: number, max: number];
  outputs: [min: number, max: number];
  required?: Record<string, AttrType>;
  /** The element type each input position takes (absent: any), checked where it is known at load. */
  types?: TypeClass[];
}
type TypeClass = 'float' | 'int' | 'bool' | 'any';
type AttrType = 'int' | 'ints' | 'float' | 'string' | 'strings' | 'tensor';

const one: OpSchema = { inputs: [1, 1], outputs: [1, 1] };
const two: OpSchema = { inputs: [2, 2], outputs: [1, 1] };
const variadic: OpSchema = { inputs: [1, 2 ** 31], outputs: [1, 1] };
/** Reductions: axes as an attribute, then an optional input (ReduceSum from 13, the others from 18). */
const reduction =
  (inputFrom: number) =>
  (opset: number): OpSchema => ({ inputs: [1, opset >= inputFrom ? 2 : 1], outputs: [1, 1] });
/** X, W, R, then optional B, sequence_lens, initial_h (LSTM: initial_c, P); outputs Y, Y_h (LSTM: Y_c). */
const recurrent = (lstm: boolean): OpSchema => ({
  inputs: [3, lstm ? 8 : 6],
  outputs: [0, lstm ? 3 : 2],
  required: { hidden_size: 'int' },
  types: ['float', 'float', 'float', 'float', 'int', 'float', 'float', 'float'],
});

const SCHEMAS: Record<string, OpSchema | ((opset: number) => OpSchema)> = {
  Abs: one,
  Neg: one,
  Sign: one,
  Exp: one,
  Log: one,
  Sqrt: one,
  Erf: one,
  Not: { ...one, types: ['bool'] },
  Relu: one,
  Sigmoid: one,
  Tanh: one,
  Identity: one,
  LeakyRelu: one,
  Elu: one,
  HardSigmoid: one,
  Softmax: one,
  LogSoftmax: one,
  Flatten: one,
  NonZero: one,
  Shape: one,
  Transpose: one,
  Cast: { ...one, required: { to: 'int' } },
  Add: two,
  Sub: two,
  Mul: two,
  Div: two,
  Pow: two,
  Mod: two,
  And: { ...two, types: ['bool', 'bool'] },
  Or: { ...two, types: ['bool', 'bool'] },
  Equal: two,
  Less: two,
  Greater: two,
  LessOrEqual: two,
  GreaterOrEqual: two,
  MatMul: { ...two, types: ['float', 'float'] },
  Expand: { ...two, types: ['any', 'int'] },
  Reshape: { ...two, types: ['any', 'int'] },
  Tile: { ...two, types: ['any', 'int'] },
  Gather: { ...two, types: ['any', 'int'] },
  GatherElements: { ...two, types: ['any', 'int'] },
  GatherND: { ...two, types: ['any', 'int'] },
  Max: variadic,
  Min: variadic,
  Concat: { inputs: [1, 2 ** 31], outputs: [1, 1], required: { axis: 'int' } },
  Where: { inputs: [3, 3], outputs: [1, 1], types: ['bool'] },
  Gemm: { inputs: [2, 3], outputs: [1, 1] },
  Range: { inputs: [3, 3], outputs: [1, 1] },
  CumSum: { ...two, types: ['any', 'int'] },
  Trilu: { inputs: [1, 2], outputs: [1, 1] },
  Einsum: { inputs: [1, 2 ** 31], outputs: [1, 1], required: { equation: 'string' } },
  ScatterElements: { inputs: [3, 3], outputs: [1, 1], types: ['any', 'int'] },
  ScatterND: { inputs: [3, 3], outputs: [1, 1], types: ['any', 'int'] },
  LayerNormalization: { inputs: [2, 3], outputs: [1, 3] },
  Constant: { inputs: [0, 0], outputs: [1, 1] },
  ConstantOfShape: one,
  Dropout: (opset) => ({ inputs: [1, opset >= 12 ? 3 : 1], outputs: [1, 2] }),
  Slice: (opset) =>
    opset < 10 ? { ...one, required: { starts: 'ints', ends: 'ints' } } : { inputs: [3, 5], outputs: [1, 1] },
  Squeeze: (opset) => ({ inputs: [1, opset >= 13 ? 2 : 1], outputs: [1, 1] }),
  Unsqueeze: (opset) => (opset < 13 ? { ...one, required: { axes: 'ints' } } : { ...two, types: ['any', 'int'] }),
  Split: (opset) => ({ inputs: [1, opset >= 13 ? 2 : 1], outputs: [1, 2 ** 31] }),
  Pad: (opset) =>
    opset < 11 ? { ...one, required: { pads: 'ints' } } : { inputs: [2, opset >= 18 ? 4 : 3], outputs: [1, 1] },
  Clip: (opset) => ({ inputs: [1, opset >= 11 ? 3 : 1], outputs: [1, 1] }),
  TopK: (opset) =>
    opset < 10 ? { inputs: [1, 1], outputs: [2, 2], required: { k: 'int' } } : { inputs: [2, 2], outputs: [2, 2] },
  ArgMax: one,
  ArgMin: one,
  ReduceSum: reduction(13),
  ReduceMean: reduction(18),
  ReduceMax: reduction(18),
  ReduceMin: reduction(18),
  ReduceProd: reduction(18),
  ReduceL2: reduction(18),
  ReduceSumSquare: reduction(18),
  RNN: recurrent(false),
  GRU: recurrent(false),
  LSTM: recurrent(true),
};

function typeOf(v: AttrValue): AttrType | 'other' {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? 'strings' : 'ints';
  return v && typeof v === 'object' ? 'tensor' : 'other';
}

/** Checks a node's input / output counts and required attributes against its operator's schema. */
export function checkNode(
  node: {
    name: string;
    opType: string;
    inputs: readonly string[];
    outputs: readonly string[];
    attrs: Record<string, AttrValue>;
  },
  opset: number,
  file: string,
): void {
  const entry = SCHEMAS[node.opType];
  if (!entry) return;
  const s = typeof entry === 'function' ? entry(opset) : entry;
  // Trailing empty names are omitted optional inputs / outputs.
  const count = (names: readonly string[]) => {
    let n = names.length;
    while (n > 0 && names[n - 1] === '') n--;
    return n;
  };
  const where = `node '${node.name}' (${node.opType}, opset ${opset})`;
  const range = ([lo, hi]: [number, number]) =>
    lo === hi ? `${lo}` : hi >= 2 ** 31 ? `at least ${lo}` : `${lo} to ${hi}`;
  const ins = count(node.inputs);
  if (ins < s.inputs[0] || ins > s.inputs[1])
    throw new FormatError(`${where} has ${ins} input(s); the operator takes ${range(s.inputs)}`, { file });
  const outs = count(node.outputs);
  if (outs < s.outputs[0] || outs > s.outputs[1])
    throw new FormatError(`${where} has ${outs} output(s); the operator gives ${range(s.outputs)}`, { file });
  for (const [name, type] of Object.entries(s.required ?? {})) {
    const v = node.attrs[name];
    if (v === undefined) throw new FormatError(`${where} lacks its required attribute '${name}' (${type})`, { file });
    const got = typeOf(v);
    const ok =
      got === type || (type === 'float' && got === 'int') || (type === 'ints' && Array.isArray(v) && v.length === 0);
    if (!ok) throw new FormatError(`${where}: attribute '${name}' should be ${type}, got ${got}`, { file });
  }
}

/** ONNX TensorProto element types by class. */
const CLASS_OF: Record<number, TypeClass> = { 1: 'float', 10: 'float', 11: 'float', 16: 'float', 9: 'bool' };
for (const code of [2, 3, 4, 5, 6, 7, 12, 13]) CLASS_OF[code] = 'int';

/**
 * Checks the element types of a node's inputs whose type is known at load (initializers and graph
 * inputs) against what its operator takes: a float weight where indices go, ints fed to an LSTM.
 */
export function checkInputTypes(
  node: { name: string; opType: string; inputs: readonly string[] },
  opset: number,
  typeOf: (name: string) => number | undefined,
  file: string,
): void {
  const entry = SCHEMAS[node.opType];
  if (!entry) return;
  const s = typeof entry === 'function' ? entry(opset) : entry;
  s.types?.forEach((want, i) => {
    const name = node.inputs[i];
    if (want === 'any' || !name) return;
    const code = typeOf(name);
    const got = code === undefined ? undefined : CLASS_OF[code];
    if (got && got !== want)
      throw new DTypeError(
        `${file}: node '${node.name}' (${node.opType}, opset ${opset}): input ${i} '${name}' is ${got} (ONNX type ${code}); the operator takes ${want} there`,
      );
  });
}
