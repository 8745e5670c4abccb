import { describe, expect, it } from 'vitest';
import { trainDates } from './dates';

describe('date seq2seq example', () => {
  it('the encoder–decoder learns to write dates in ISO 8601, decoded greedily (CI budget)', async () => {
    const r = await trainDates({ samples: 8000, epochs: 8, units: 64, seed: 1, log: () => {} });
    console.log(r);
    expect(r.charAccuracy).toBeGreaterThan(0.9);
    expect(r.exactMatch).toBeGreaterThan(0.6);
  }, 300_000);
});
