import { describe, expect, it } from 'vitest';
import { finetune } from './finetune';

describe('onnx fine-tune example', () => {
  it('a PyTorch LSTM imported from ONNX learns names in recur and exports back to what onnxruntime runs', async () => {
    const r = await finetune({ epochs: 2, seed: 1, log: () => {} });
    console.log(r);
    expect(r.before).toBeGreaterThan(20);
    expect(r.after).toBeLessThan(12);
    expect(r.exportMaxDiff).toBeLessThan(1e-5);
    expect(r.samples.filter((s) => s.length >= 2).length).toBeGreaterThan(3);
  }, 300_000);
});
