import { gradcheck } from '@recur/autograd';
import { type DType, type OpRecorder, Rng, type Tensor, tensor, tidy, withRecorder } from '@recur/tensor';
import { FUSED_OP_CASES } from './fused-op-cases';
import { type InputSpec, type OpCase, OP_CASES as TENSOR_OP_CASES } from './op-cases';
import { type NDArray, nd } from './reference';

export interface OpCaseResult {
  name: string;
  forward: { ok: boolean; maxAbsError: number; message?: string };
  gradcheck?: { ok: boolean; maxAbsError: number; worst: string };
}

function makeInputs(specs: InputSpec[], dtype: DType, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return specs.map((spec) => {
    if ('int' in spec) return tensor(spec.int, { shape: spec.shape, dtype: 'int32' });
    if ('bool' in spec) return tensor(spec.bool, { shape: spec.shape, dtype: 'bool' });
    const [lo, hi] = spec.range ?? [-2, 2];
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, () => rng.uniform(lo, hi));
    return tensor(values, { shape: spec.shape, dtype });
  });
}

function compare(got: Tensor, want: NDArray): { ok: boolean; maxAbsError: number; message?: string } {
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return { ok: false, maxAbsError: Number.POSITIVE_INFINITY, message: `shape [${got.shape}] != [${want.shape}]` };
  }
  const values = got.dataSync();
  let maxAbsError = 0;
  let ok = true;
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(values[i] - want.data[i]);
    maxAbsError = Math.max(maxAbsError, err);
    if (!(err <= 1e-5 + 1e-5 * Math.abs(want.data[i]))) ok = false;
  }
  return { ok, maxAbsError };
}

/** Runs one case on the current backend: forward against the reference, then gradcheck (float64 backends). */
export function runOpCase(c: OpCase, seed = 1, gradcheckHere = true): OpCaseResult {
  return tidy(() => {
    const xs = makeInputs(c.inputs, 'float32', seed);
    const want = c.reference(...xs.map((x) => nd([...x.shape], x.dataSync())));
    const result: OpCaseResult = { name: c.name, forward: compare(c.run(...xs), want) };
    if (c.differentiable !== false && gradcheckHere) {
      const x64 = makeInputs(c.inputs, 'float64', seed);
      result.gradcheck = gradcheck(c.run, x64, c.gradcheck);
    }
    return result;
  });
}

/** The kernels a function records when differentiated: used to prove every rule is checked. */
export function kernelsUsedBy(c: OpCase): Set<string> {
  const seen = new Set<string>();
  const spy: OpRecorder = { record: (op) => seen.add(op.kernel), holds: () => false };
  tidy(() => {
    const xs = makeInputs(c.inputs, 'float64', 1);
    withRecorder(spy, () => c.run(...xs));
  });
  return seen;
}

/** Every op case: the tensor ops, then the kernels layers run as one fused op. */
export const OP_CASES: OpCase[] = [...TENSOR_OP_CASES, ...FUSED_OP_CASES];
