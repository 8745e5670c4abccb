import { dirname, isAbsolute, join } from 'node:path';
import { loadModel, type Model } from '@recur/keras';
import { dispose, getBackend, setBackend, type Tensor } from '@recur/tensor';
import { backendNamed } from './backends';
import { type Comparison, compareTensor, type FixtureTensor, loadTensor, type Tolerance } from './fixture-tensor';
import { FIXTURES_DIR } from './fixtures';
import type { CaseOptions } from './layer-case';

/**
 * A model-file case: fixtures/tfjs/*.case.json (a tfjs model.json, `model`) and
 * fixtures/keras-files/*.case.json (a .keras / .h5 file, `file`), with the inputs, the outputs
 * the reference computed, the parameter count and (tfjs) the summary rows; a stateful model
 * has a `sequence` of predict / resetStates steps.
 */
export interface KerasModelCase {
  model?: string;
  file?: string;
  format?: string;
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  params?: number;
  summary?: { name: string; class: string; output_shape: unknown; params: number }[];
  sequence?: ({ op: 'predict'; inputs: FixtureTensor[]; outputs: FixtureTensor[] } | { op: 'resetStates' })[];
  tolerance?: { float32_abs?: number };
}

export function isKerasModelCase(json: unknown): json is KerasModelCase {
  const c = json as KerasModelCase;
  return (
    !!c &&
    (typeof c.file === 'string' || (typeof c.model === 'string' && c.model.endsWith('.json'))) &&
    Array.isArray(c.inputs) &&
    Array.isArray(c.outputs)
  );
}

/** A model.json on its own (the data a case refers to): recognised, and checked by loading it. */
export function isModelJson(json: unknown): boolean {
  return !!json && typeof json === 'object' && 'modelTopology' in json && 'weightsManifest' in json;
}

/** Resolves a case's file next to it (case paths arrive relative to the fixtures folder or absolute). */
export function caseDir(file: string): string {
  return dirname(isAbsolute(file) ? file : join(FIXTURES_DIR, file));
}

function tolerance(c: KerasModelCase): Tolerance {
  return { atol: c.tolerance?.float32_abs ?? 1e-5, rtol: 1e-5 };
}

function predict(model: Model, inputs: FixtureTensor[]): Tensor[] {
  const xs = inputs.map((t) => loadTensor(t));
  try {
    const out = model.predict(xs.length === 1 ? xs[0] : xs);
    return Array.isArray(out) ? out : [out];
  } finally {
    dispose(xs);
  }
}

function compareOutputs(prefix: string, got: Tensor[], want: FixtureTensor[], tol: Tolerance): Comparison[] {
  const out: Comparison[] = [];
  if (got.length !== want.length) {
    out.push({
      name: `${prefix}outputs`,
      shape: [got.length],
      maxAbsError: Infinity,
      maxRelError: Infinity,
      ok: false,
      rule: `${got.length} outputs, expected ${want.length}`,
    });
  }
  want.forEach((w, i) => {
    if (got[i]) out.push(compareTensor(`${prefix}output ${i}`, got[i], w, tol));
  });
  return out;
}

const exact = (name: string, got: unknown, want: unknown): Comparison => {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  return {
    name,
    shape: [],
    maxAbsError: ok ? 0 : Infinity,
    maxRelError: ok ? 0 : Infinity,
    ok,
    rule: ok ? 'equal' : `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
  };
};

/** Loads the model file, predicts on the inputs (each step of a stateful sequence) and checks counts and summary. */
export async function runKerasModelCase(
  c: KerasModelCase,
  options: CaseOptions & { file: string },
): Promise<Comparison[]> {
  const path = join(caseDir(options.file), (c.file ?? c.model) as string);
  const model = await loadModel(path);
  const results: Comparison[] = [];
  try {
    const tol = tolerance(c);
    const steps = c.sequence ?? [{ op: 'predict' as const, inputs: c.inputs, outputs: c.outputs }];
    steps.forEach((step, k) => {
      if (step.op === 'resetStates') {
        model.resetStates();
        return;
      }
      const got = predict(model, step.inputs);
      try {
        results.push(...compareOutputs(c.sequence ? `step ${k} ` : '', got, step.outputs, tol));
      } finally {
        dispose(got);
      }
    });
    if (c.params !== undefined) results.push(exact('countParams', model.countParams(), c.params));
    if (c.summary) {
      const rows = model
        .summaryRows()
        .map((r) => ({ name: r.name, class: r.className, output_shape: r.outputShape, params: r.params }));
      results.push(exact('summary rows', rows, c.summary));
    }
    return results;
  } finally {
    model.dispose();
  }
}

/** A bare model.json: it loads (topology built, every weight placed, sizes consistent). */
export async function runModelJson(_json: unknown, options: { file: string }): Promise<Comparison[]> {
  const path = isAbsolute(options.file) ? options.file : join(FIXTURES_DIR, options.file);
  const model = await loadModel(path);
  try {
    return [exact('loads (weights placed)', model.countParams() >= 0, true)];
  } finally {
    model.dispose();
  }
}

/**
 * The model-file case through ONNX: the loaded model is exported (`exportOnnx`) and run by
 * onnxruntime-node, whose outputs must equal the reference's (what `recur-keras convert` gives).
 */
export async function runKerasModelCaseOrt(c: KerasModelCase, file: string): Promise<Comparison[]> {
  const { OrtModel } = await import('@recur/backend-ort');
  const { exportOnnx } = await import('@recur/onnx');
  const previous = getBackend();
  setBackend(await backendNamed('js'));
  const model = await loadModel(join(caseDir(file), (c.file ?? c.model) as string));
  try {
    if (c.sequence) {
      return [
        {
          name: 'stateful sequence',
          shape: [],
          maxAbsError: 0,
          maxRelError: 0,
          ok: true,
          rule: 'n/a: a stateful model has no ONNX form',
        },
      ];
    }
    const session = await OrtModel.fromOnnx(exportOnnx(model));
    try {
      // Fed in the dtype the model declares (tfjs files declare float32 inputs and get token ids).
      const feeds = Object.fromEntries(
        model.inputs.map((t, i) => [
          t.node.layer.name,
          loadTensor({ ...c.inputs[i], dtype: t.dtype === 'int32' ? 'int32' : 'float32' }),
        ]),
      );
      const out = await session.run(feeds);
      const names = session.outputNames;
      const results = c.outputs.map((w, i) => compareTensor(`onnxruntime output ${i}`, out[names[i]], w, tolerance(c)));
      dispose([feeds, out]);
      return results;
    } finally {
      await session.release();
    }
  } finally {
    model.dispose();
    setBackend(previous);
  }
}
