import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trainNames } from './names';

describe('char-generation example', () => {
  it('learns names (perplexity far below uniform), saves, reloads the same model and samples new names', async () => {
    const r = await trainNames({ hidden: 64, epochs: 3, seed: 1, log: () => {} });
    console.log(r.validationPerplexity, r.samples);
    expect(r.validationPerplexity).toBeLessThan(12);
    expect(r.validationPerplexity).toBeLessThan(r.vocabularySize / 4);
    // The checkpoint holds the trained weights exactly: the reloaded model scores what fit measured.
    expect(r.validationPerplexity).toBeCloseTo(r.lastEpochPerplexity, 4);
    expect(existsSync(r.checkpoint)).toBe(true);
    for (const s of r.samples) expect(s.names.length).toBeGreaterThan(3);
    expect(r.novel).toBeGreaterThan(0.5);
  }, 300_000);
});
