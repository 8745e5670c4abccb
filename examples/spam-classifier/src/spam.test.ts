import { describe, expect, it } from 'vitest';
import { trainSpamClassifier } from './spam';

describe('spam classifier example', () => {
  it('Embedding → BiLSTM → Dense learns spam from ham well above the majority class (CI budget)', async () => {
    const r = await trainSpamClassifier({
      messages: 1500,
      maxlen: 80,
      vocabSize: 4000,
      epochs: 3,
      seed: 1,
      log: () => {},
    });
    console.log(r);
    expect(r.accuracy).toBeGreaterThan(0.85);
    expect(r.accuracy).toBeGreaterThan(r.baseline + 0.12);
    expect(r.f1).toBeGreaterThan(0.7);
    // The model reloaded from its .keras file tells the obvious spam from the question to a mailing list.
    expect(r.samples[0].spam).toBeGreaterThan(r.samples[1].spam);
  }, 300_000);
});
