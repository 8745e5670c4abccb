import { OrtModel } from '@recur/backend-ort';
import { dispose, getBackend, setBackend, type Tensor, tensor, tidy } from '@recur/tensor';
import { TRAINING_BACKENDS, useBackend } from './backends';
import { probeTokens } from './export-lm';
import { loadLM } from './lm-checkpoint';
import type { Output } from './train-lm';

export interface CompareRow {
  backend: string;
  ms: number;
  maxAbsDiff: number;
}

async function median(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

/**
 * One checkpoint on every backend: recur's model on backend-js, on TensorFlow.js (cpu and wasm),
 * and exported into onnxruntime-node; the same batch through each, agreement with backend-js and
 * the median time.
 */
export async function compareBackends(checkpoint: string, runs: number, out: Output): Promise<CompareRow[]> {
  const { lm, vocab } = loadLM(checkpoint);
  const ids = probeTokens((s) => vocab.encode(s), 40);
  const B = 8;
  const T = Math.floor(ids.length / B);
  const batch = Array.from({ length: B }, (_, b) => ids.slice(b * T, (b + 1) * T));
  const rows: CompareRow[] = [];
  let reference: Float32Array | null = null;
  const agree = (values: ArrayLike<number>) => {
    let m = 0;
    if (!reference) return 0;
    for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] - reference[i]));
    return m;
  };
  try {
    for (const name of TRAINING_BACKENDS) {
      await useBackend(name);
      lm.to(getBackend());
      const tokens = tensor(batch, { dtype: 'int32' });
      const logits: Tensor = tidy(() => lm.forward(tokens).logits);
      const values = logits.dataSync() as Float32Array;
      reference ??= values.slice();
      const ms = await median(runs, () => tidy(() => void lm.forward(tokens).logits.dataSync()));
      rows.push({
        backend: `recur on ${name === 'js' ? 'backend-js' : `TensorFlow.js (${name})`}`,
        ms,
        maxAbsDiff: agree(values),
      });
      dispose([tokens, logits]);
    }
    await useBackend('js');
    lm.to(getBackend());
    const session = await OrtModel.fromModule(lm);
    const tokens = tensor(batch, { dtype: 'int32' });
    const first = await session.run({ tokens });
    rows.push({
      backend: 'onnxruntime-node (exported)',
      ms: await median(runs, async () => dispose(Object.values(await session.run({ tokens })))),
      maxAbsDiff: agree(first.output.dataSync()),
    });
    dispose([tokens, ...Object.values(first)]);
    await session.release();
  } finally {
    setBackend('js');
    lm.dispose();
  }
  out.log(`${lm.config.cell}(${lm.config.hiddenSize}) language model, batch ${B}×${T}, median of ${runs} runs`);
  out.log('| backend | ms | max |Δ| vs backend-js |');
  out.log('|---|---:|---:|');
  for (const r of rows) out.log(`| ${r.backend} | ${r.ms.toFixed(2)} | ${r.maxAbsDiff.toExponential(1)} |`);
  return rows;
}
