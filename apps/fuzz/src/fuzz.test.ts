import { RecurError } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLICE } from './default-slice';
import { classify } from './outcome';
import { fuzzTarget } from './run-fuzz';
import { safetensorsViolation } from './safetensors-rules';

describe('the fuzz harness', () => {
  it('tells clean errors, raw errors, accepted files, hangs and crashes apart', async () => {
    const r = await fuzzTarget('selftest', 20, { seed: 5, timeoutMs: 1000, jobs: 1 });
    for (const outcome of ['clean', 'accepted', 'raw', 'hang', 'crash'] as const)
      expect(r.counts[outcome], outcome).toBeGreaterThan(0);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(20);
    expect(r.findings.filter((f) => f.outcome === 'raw').every((f) => f.seed === 'raw')).toBe(true);
  }, 120_000);

  it('a recur error that carries an engine message is raw, as is a plain TypeError', () => {
    expect(classify(new RecurError('bad file (Cannot read properties of undefined)', 'format')).outcome).toBe('raw');
    expect(classify(new RecurError('node x: internal error (TypeError: y)', 'internal')).outcome).toBe('raw');
    expect(classify(new TypeError('x is not a function')).outcome).toBe('raw');
    expect(classify(new RecurError("tensor 'w': bad dimension -1", 'format')).outcome).toBe('clean');
  });

  it("the safetensors oracle knows the format's rules", () => {
    const file = (header: unknown, data: number[]) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    };
    const t = (o: number[]) => ({ dtype: 'U8', shape: [o[1] - o[0]], data_offsets: o });
    expect(safetensorsViolation(file({ a: t([0, 2]), b: t([2, 3]) }, [1, 2, 3]))).toBeNull();
    expect(safetensorsViolation(file({ a: t([0, 2]), b: t([1, 3]) }, [1, 2, 3]))).toMatch(/overlap/);
    expect(safetensorsViolation(file({ a: t([0, 2]) }, [1, 2, 3]))).toMatch(/cover/);
    expect(safetensorsViolation(file({ __metadata__: { a: 1 } }, []))).toMatch(/metadata/);
  });

  // The CI slice of `pnpm fuzz`: 1,000 seeded cases over ONNX, safetensors, model.json and .keras.
  for (const [target, cases] of Object.entries(DEFAULT_SLICE)) {
    it(`${cases} seeded ${target} cases: no crash, no hang, no raw engine error, nothing invalid accepted`, async () => {
      const r = await fuzzTarget(target, cases, { seed: 1, timeoutMs: 20_000, jobs: 2 });
      expect(r.findings.map((f) => `${f.outcome} #${f.index} (${f.seed}): ${f.message}`)).toEqual([]);
      expect(r.counts.clean + r.counts.accepted).toBe(cases);
      // The mutations reach both sides: some files are refused, some still load and run.
      expect(r.counts.clean).toBeGreaterThan(cases / 10);
      expect(r.counts.accepted).toBeGreaterThan(0);
    }, 300_000);
  }
});
