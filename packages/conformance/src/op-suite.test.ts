import { differentiableKernels } from '@recur/autograd';
import { getBackend, setBackend } from '@recur/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, backendNamed } from './backends';
import { kernelsUsedBy, OP_CASES, runOpCase } from './op-suite';

// Whole-model backends (ort) run no single ops: the CLI test covers their forward cases.
for (const backend of BACKENDS.filter((b) => !b.wholeModel)) {
  describe(`ops on backend ${backend.name}`, () => {
    const previous = getBackend();
    beforeAll(async () => {
      setBackend(await backendNamed(backend.name));
    });
    afterAll(() => {
      setBackend(previous);
    });

    for (const c of OP_CASES.filter((k) => backend.float64 || !k.float64)) {
      it(c.name, () => {
        const r = runOpCase(c, 1, backend.float64);
        expect(r.forward.message ?? '').toBe('');
        expect(r.forward.maxAbsError).toBeLessThan(1e-4);
        expect(r.forward.ok).toBe(true);
        if (r.gradcheck) expect(r.gradcheck.ok, r.gradcheck.worst).toBe(true);
      });
    }
  });
}

describe('coverage', () => {
  it('gradcheck exercises every kernel that has a gradient rule', () => {
    const checked = new Set<string>();
    for (const c of OP_CASES) {
      if (c.differentiable === false) continue;
      for (const k of kernelsUsedBy(c)) checked.add(k);
    }
    const comparisons = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'argMax', 'argMin'];
    const missing = differentiableKernels().filter(
      (k) => !checked.has(k) && !comparisons.includes(k) && k !== 'logicalNot',
    );
    expect(missing).toEqual([]);
  });
});
