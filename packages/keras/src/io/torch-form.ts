import { type KerasRecurrentWeights, kerasToTorch, type TorchRecurrentWeights, torchToKeras } from '@recur/layers';
import {
  ConfigError,
  formatShape,
  ShapeError,
  type Tensor,
  tidy,
  transpose,
  UnsupportedError,
  zerosLike,
} from '@recur/tensor';
import { InputLayer } from '../engine/input-layer';
import type { Layer } from '../engine/layer';
import { Bidirectional, Dense, Dropout, Embedding, RNN, TimeDistributed } from '../layers/index';
import type { Model } from '../model';

/**
 * A Keras-door chain in PyTorch's form, for `python/recur_torch` (`KerasChain`): the layer specs
 * and a state dict with PyTorch's names and layouts (`layers.<i>.weight`, `layers.<i>.weight_ih_l0`,
 * `…_reverse`, gates i,f,g,o / r,z,n). The weight conversions are @recur/layers' weight-layout ones.
 */
export interface TorchLayerSpec {
  /** The layer's Keras class. */
  type: 'Embedding' | 'SimpleRNN' | 'LSTM' | 'GRU' | 'Dense' | 'Dropout';
  /** Its sizes and options (inputDim, units, activation, ...). */
  [key: string]: unknown;
}

/** What `toTorchForm` makes: the chain's layer specs and its PyTorch state dict. */
export interface TorchForm {
  /** What recur_torch's KerasChain is built from. */
  config: {
    /** Always 'KerasChain'. */
    kind: 'KerasChain';
    /** The layers, in order. */
    layers: TorchLayerSpec[];
  };
  /** The weights, with PyTorch's names and layouts. */
  state: Record<string, Tensor>;
}

const KIND = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' } as const;
type RecurrentName = keyof typeof KIND;

function chainOf(model: Model): Layer[] {
  const layers = model.layers.filter((l) => !(l instanceof InputLayer));
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UnsupportedError(`${model.name}: only single-input, single-output chains move to PyTorch`);
  return layers;
}

function recurrentOf(layer: Layer): { rnn: RNN; bi: Bidirectional | null } | null {
  if (layer instanceof Bidirectional) return { rnn: layer.forwardLayer, bi: layer };
  if (layer instanceof RNN) return { rnn: layer, bi: null };
  return null;
}

function recurrentName(layer: RNN): RecurrentName {
  const t = layer.layerType;
  if (t === 'SimpleRNN' || t === 'LSTM' || t === 'GRU') return t;
  throw new UnsupportedError(`${layer.name} (${t}): only SimpleRNN, LSTM and GRU layers have a PyTorch form`);
}

function checkCell(layer: RNN, name: RecurrentName): void {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const act = cfg.activation ?? 'tanh';
  const rec = cfg.recurrentActivation ?? 'sigmoid';
  if (act !== 'tanh' || (name !== 'SimpleRNN' && rec !== 'sigmoid'))
    throw new UnsupportedError(
      `${layer.name}: PyTorch's ${name} has tanh / sigmoid activations, this one has ${act} / ${rec}`,
    );
  if (name === 'GRU' && cfg.resetAfter === false)
    throw new UnsupportedError(
      `${layer.name}: a GRU with resetAfter false has no PyTorch form (torch.nn.GRU resets after)`,
    );
  if (layer.goBackwards || layer.stateful)
    throw new UnsupportedError(`${layer.name}: goBackwards / stateful have no PyTorch form here`);
}

/** The model's layers and weights in PyTorch's form. */
export function toTorchForm(model: Model): TorchForm {
  const layers: TorchLayerSpec[] = [];
  const state: Record<string, Tensor> = {};
  chainOf(model).forEach((layer, i) => {
    const at = `layers.${i}`;
    if (layer instanceof Embedding) {
      layers.push({
        type: 'Embedding',
        inputDim: layer.inputDim,
        outputDim: layer.outputDim,
        maskZero: layer.maskZero,
      });
      state[`${at}.weight`] = layer.getWeights()[0];
      return;
    }
    const dense = layer instanceof TimeDistributed ? layer.layer : layer;
    if (dense instanceof Dense) {
      const [kernel, bias] = dense.getWeights();
      const activation = dense.activation;
      if (typeof activation !== 'string' || !['linear', 'softmax', 'sigmoid', 'tanh', 'relu'].includes(activation))
        throw new UnsupportedError(`${dense.name}: activation ${String(activation)} has no PyTorch form here`);
      layers.push({ type: 'Dense', inFeatures: kernel.shape[0], units: dense.units, activation, bias: !!bias });
      state[`${at}.weight`] = tidy(() => transpose(kernel));
      if (bias) state[`${at}.bias`] = bias;
      return;
    }
    if (layer instanceof Dropout) {
      layers.push({ type: 'Dropout', rate: layer.rate });
      return;
    }
    const r = recurrentOf(layer);
    if (!r)
      throw new UnsupportedError(
        `${layer.name} (${layer.layerType}): no PyTorch form (Embedding, SimpleRNN / LSTM / GRU, Bidirectional, Dense, TimeDistributed(Dense), Dropout have one)`,
      );
    const name = recurrentName(r.rnn);
    checkCell(r.rnn, name);
    const directions = r.bi ? [r.bi.forwardLayer, r.bi.backwardLayer] : [r.rnn];
    const units = r.rnn.cell.outputSize;
    const weights = directions.map((d) => d.getWeights());
    layers.push({
      type: name,
      inputSize: weights[0][0].shape[0],
      units,
      bidirectional: !!r.bi,
      mergeMode: r.bi ? (r.bi.mergeMode ?? null) : null,
      returnSequences: r.rnn.returnSequences,
    });
    weights.forEach((w, d) => {
      const suffix = d === 1 ? '_reverse' : '';
      const t = kerasToTorch(KIND[name], { kernel: w[0], recurrentKernel: w[1], bias: w[2] });
      state[`${at}.weight_ih_l0${suffix}`] = t.wIh;
      state[`${at}.weight_hh_l0${suffix}`] = t.wHh;
      if (t.bIh) state[`${at}.bias_ih_l0${suffix}`] = t.bIh;
      if (t.bIh) state[`${at}.bias_hh_l0${suffix}`] = t.bHh ?? tidy(() => zerosLike(t.bIh as Tensor));
    });
  });
  return { config: { kind: 'KerasChain', layers }, state };
}

/** Sets the model's weights from a state dict in PyTorch's form (what `KerasChain` trained). */
export function fromTorchForm(model: Model, state: Record<string, Tensor>): void {
  const get = (name: string, shape?: readonly number[]): Tensor => {
    const t = state[name];
    if (!t)
      throw new ConfigError(`fromTorchForm: the state dict has no '${name}' (${Object.keys(state).length} tensors)`);
    if (shape && formatShape(t.shape) !== formatShape(shape))
      throw new ShapeError(`fromTorchForm: '${name}' should be ${formatShape(shape)}, got ${formatShape(t.shape)}`);
    return t;
  };
  chainOf(model).forEach((layer, i) => {
    const at = `layers.${i}`;
    if (layer instanceof Embedding) return layer.setWeights([get(`${at}.weight`, layer.getWeights()[0].shape)]);
    const dense = layer instanceof TimeDistributed ? layer.layer : layer;
    if (dense instanceof Dense) {
      const [kernel, bias] = dense.getWeights();
      const w = tidy(() => transpose(get(`${at}.weight`, [kernel.shape[1], kernel.shape[0]])));
      return dense.setWeights(bias ? [w, get(`${at}.bias`, bias.shape)] : [w]);
    }
    const r = recurrentOf(layer);
    if (!r) return;
    const name = recurrentName(r.rnn);
    const directions = r.bi ? [r.bi.forwardLayer, r.bi.backwardLayer] : [r.rnn];
    directions.forEach((d, k) => {
      const suffix = k === 1 ? '_reverse' : '';
      const current = d.getWeights();
      const t: TorchRecurrentWeights = {
        wIh: get(`${at}.weight_ih_l0${suffix}`),
        wHh: get(`${at}.weight_hh_l0${suffix}`),
        bIh: state[`${at}.bias_ih_l0${suffix}`],
        bHh: state[`${at}.bias_hh_l0${suffix}`],
      };
      const kw: KerasRecurrentWeights = torchToKeras(KIND[name], t, { splitBias: current[2]?.rank === 2 });
      d.setWeights([kw.kernel, kw.recurrentKernel, ...(kw.bias ? [kw.bias] : [])]);
    });
  });
}
