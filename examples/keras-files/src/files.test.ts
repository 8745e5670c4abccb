import { describe, expect, it } from 'vitest';
import { FILES, runFile } from './files';

describe('keras-files example', () => {
  for (const [model, caseFile, format, saveAs] of FILES) {
    it(`${format}: predicts the file's own numbers, fine-tunes, saves as ${saveAs} and loads back the same`, async () => {
      const r = await runFile(model, caseFile, format, saveAs, () => {});
      expect(r.maxDiff).toBeLessThan(1e-5);
      expect(r.lossAfter).toBeLessThan(r.lossBefore * 0.95);
      expect(r.roundTripMaxDiff).toBe(0);
    });
  }
});
