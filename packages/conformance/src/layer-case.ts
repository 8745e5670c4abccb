import { valueAndGradsOf } from '@recur/autograd';
import { GRU, LSTM, RNN, type TorchRecurrent } from '@recur/layers';
import { add, type DType, dispose, keep, mul, sum, type Tensor, tidy } from '@recur/tensor';
import {
  type Comparison,
  compareTensor,
  type FixtureTensor,
  FLOAT32_TOLERANCE,
  FLOAT64_TOLERANCE,
  loadTensor,
} from './fixture-tensor';

/** A layer case of fixtures/torch/*.json (see fixtures/README.md). */
export interface LayerCase {
  config: {
    kind: 'RNN' | 'LSTM' | 'GRU';
    input_size: number;
    hidden_size: number;
    batch_first?: boolean;
    num_layers?: number;
    bidirectional?: boolean;
    nonlinearity?: 'tanh' | 'relu';
    bias?: boolean;
    proj_size?: number;
  };
  params: Record<string, FixtureTensor>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  upstream_grads: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
}

export function isLayerCase(json: unknown): json is LayerCase {
  const c = json as LayerCase;
  return !!c?.config?.kind && !!c.params && !!c.inputs?.input && !!c.outputs?.output && !('tokens' in (c.inputs ?? {}));
}

export interface CaseOptions {
  dtype?: DType;
  /** false: the composed per-step path instead of the backend's fused kernel. */
  fused?: boolean;
}

/** Builds the PyTorch-style layer a case's config describes. */
export function buildTorchLayer(config: LayerCase['config'], options: CaseOptions = {}): TorchRecurrent {
  const common = {
    numLayers: config.num_layers ?? 1,
    bidirectional: config.bidirectional ?? false,
    batchFirst: config.batch_first ?? false,
    bias: config.bias ?? true,
    dtype: options.dtype ?? 'float32',
    fused: options.fused,
  };
  switch (config.kind) {
    case 'RNN':
      return new RNN(config.input_size, config.hidden_size, { ...common, nonlinearity: config.nonlinearity ?? 'tanh' });
    case 'LSTM':
      return new LSTM(config.input_size, config.hidden_size, { ...common, projSize: config.proj_size ?? 0 });
    case 'GRU':
      return new GRU(config.input_size, config.hidden_size, common);
    default:
      throw new Error(`layer case: unknown kind '${(config as { kind: string }).kind}'`);
  }
}

/**
 * Runs a layer case: builds the layer, loads the PyTorch state dict, feeds the inputs, and
 * compares every output and every gradient of loss = Σ output·upstream (over output, h_n, c_n).
 */
export function runLayerCase(c: LayerCase, options: CaseOptions = {}): Comparison[] {
  const dtype = options.dtype ?? 'float32';
  const tol = dtype === 'float64' ? FLOAT64_TOLERANCE : FLOAT32_TOLERANCE;
  const layer = buildTorchLayer(c.config, options);
  try {
    return tidy(() => {
      layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, loadTensor(v, dtype)])));
      const input = loadTensor(c.inputs.input, dtype);
      const h0 = c.inputs.h_0 ? loadTensor(c.inputs.h_0, dtype) : undefined;
      const c0 = c.inputs.c_0 ? loadTensor(c.inputs.c_0, dtype) : undefined;
      const up = Object.fromEntries(Object.entries(c.upstream_grads).map(([k, v]) => [k, loadTensor(v, dtype)]));
      const named = layer.namedParameters();
      const wrt: Tensor[] = [...named.map(([, p]) => p.value), input, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
      const outputs: Record<string, Tensor> = {};
      const { grads } = valueAndGradsOf(() => {
        const r = layer.forward(input, { h0, c0 });
        // Kept past the gradient's own scope so they can be compared, then disposed below.
        outputs.output = keep(r.output);
        outputs.h_n = keep(r.hN);
        if (r.cN) outputs.c_n = keep(r.cN);
        let loss = sum(mul(r.output, up.output));
        if (up.h_n) loss = add(loss, sum(mul(r.hN, up.h_n)));
        if (up.c_n && r.cN) loss = add(loss, sum(mul(r.cN, up.c_n)));
        return loss;
      }, wrt);
      const results: Comparison[] = [];
      for (const [name, want] of Object.entries(c.outputs)) {
        const got = outputs[name];
        if (!got) throw new Error(`layer case: the layer produced no '${name}'`);
        results.push(compareTensor(name, got, want, tol));
      }
      const gradNames = [...named.map(([n]) => n), 'input', ...(h0 ? ['h_0'] : []), ...(c0 ? ['c_0'] : [])];
      for (const [name, want] of Object.entries(c.grads)) {
        const k = gradNames.indexOf(name);
        if (k < 0) throw new Error(`layer case: no gradient for '${name}' (have ${gradNames.join(', ')})`);
        results.push(compareTensor(`grad ${name}`, grads[k], want, tol));
      }
      dispose(outputs);
      return results;
    });
  } finally {
    layer.dispose();
  }
}
