// Adds onnxruntime-node's outputs (`outputs_ort`) to every case in a generated fixture folder, and
// drops a case where onnxruntime disagrees with the expected outputs (ONNX's reference, or
// PyTorch's) — the runner compares with outputs_ort when present, as for fixtures/onnx-node. Run
// from the repository root after the generator:
//   node tools/onnx-node-tests/add-ort.mjs [fixtures/onnx-node-ops]
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'packages/backend-ort/package.json'));
const ort = require('onnxruntime-node');
ort.env.logLevel = 'error';
const dir = process.argv[2] ?? 'fixtures/onnx-node-ops';

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};
const toOrt = (t) => {
  const data =
    t.dtype === 'int64' ? BigInt64Array.from(t.data, (v) => BigInt(v)) : ARRAYS[t.dtype].from(t.data, (v) => Number(v));
  return new ort.Tensor(t.dtype, data, t.shape);
};
const fromOrt = (t) => ({
  shape: [...t.dims],
  dtype: t.type,
  data: Array.from(t.data, (v) => (t.type === 'bool' ? Boolean(v) : t.type === 'int64' ? Number(v) : v)),
});
const close = (a, b) =>
  a.shape.join() === b.shape.join() &&
  a.data.every((v, i) => {
    const w = b.data[i];
    if (typeof v === 'boolean' || typeof w === 'boolean') return Boolean(v) === Boolean(w);
    if (Number.isNaN(v) && Number.isNaN(w)) return true;
    return Math.abs(v - w) <= 1e-5 + 1e-5 * Math.abs(w);
  });

let kept = 0;
let dropped = 0;
let withoutOrt = 0;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.onnx.json'))
  .sort()) {
  const path = join(dir, file);
  const c = JSON.parse(readFileSync(path, 'utf8'));
  let outputs;
  try {
    const session = await ort.InferenceSession.create(join(dir, c.file), { logSeverityLevel: 3 });
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, toOrt(v)]));
    const result = await session.run(feeds);
    outputs = Object.fromEntries(Object.keys(c.outputs_expected).map((k) => [k, fromOrt(result[k])]));
    await session.release();
  } catch (e) {
    console.log(
      `${file}: onnxruntime cannot run it (${String(e.message).split('\n')[0].slice(0, 120)}); expected outputs only`,
    );
    withoutOrt++;
    kept++;
    continue;
  }
  const disagree = Object.keys(outputs).filter((k) => !close(outputs[k], c.outputs_expected[k]));
  if (disagree.length) {
    console.log(`${file}: onnxruntime disagrees with ONNX's expected ${disagree.join(', ')}: dropped`);
    rmSync(path);
    rmSync(join(dir, c.file));
    dropped++;
    continue;
  }
  c.outputs_ort = outputs;
  writeFileSync(path, JSON.stringify(c));
  kept++;
}
console.log(`${kept} cases kept (${withoutOrt} without onnxruntime's outputs), ${dropped} dropped`);
