import { describe, expect, it } from 'vitest';
import { trainTagger } from './tagger';

describe('truecase tagger example', () => {
  it('a BiGRU over packed batches restores capitals better than the first-letter-and-"I" rule (CI budget)', async () => {
    const r = await trainTagger({ sentences: 3000, epochs: 3, hidden: 32, seed: 1, log: () => {} });
    console.log(r);
    expect(r.f1).toBeGreaterThan(0.55);
    expect(r.f1).toBeGreaterThan(r.ruleF1);
    expect(r.examples[0].output[0]).toBe(r.examples[0].output[0].toUpperCase());
  }, 300_000);
});
