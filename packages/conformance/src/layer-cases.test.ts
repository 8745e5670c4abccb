import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { numTensors } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from './fixtures';
import { isLayerCase, runLayerCase } from './layer-case';

const torchDir = join(FIXTURES_DIR, 'torch');
const cases = readdirSync(torchDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(torchDir, f), 'utf8')) }))
  .filter(({ json }) => isLayerCase(json));

describe('torch layer cases', () => {
  it('finds the layer fixtures', () => {
    expect(cases.map((c) => c.file).sort()).toEqual([
      'gru_1l.json',
      'lstm_1l.json',
      'lstm_2l_bi.json',
      'rnn_relu_2l_bi.json',
      'rnn_tanh_1l.json',
    ]);
  });

  for (const { file, json } of cases) {
    for (const [label, options] of [
      ['fused float32', { dtype: 'float32', fused: true }],
      ['composed float32', { dtype: 'float32', fused: false }],
      ['fused float64', { dtype: 'float64', fused: true }],
      ['composed float64', { dtype: 'float64', fused: false }],
    ] as const) {
      it(`${file}: ${label} matches every output and gradient`, () => {
        const before = numTensors();
        const results = runLayerCase(json, options);
        const bad = results.filter((r) => !r.ok).map((r) => `${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`);
        expect(bad).toEqual([]);
        expect(results.length).toBe(Object.keys(json.outputs).length + Object.keys(json.grads).length);
        expect(numTensors()).toBe(before);
      });
    }
  }
});
