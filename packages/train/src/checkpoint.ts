import type { VocabJSON } from '@recur/data';
import { FormatError, type Rng, type Tensor, tensor } from '@recur/tensor';
import type { OptimizerState } from './optimizers/optimizer';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'recur-checkpoint';
export const CHECKPOINT_VERSION = 1;

/**
 * Everything needed to resume training exactly: weights, optimizer buffers and hyperparameters,
 * the step, the random generator's state, and the vocabulary.
 */
export interface Checkpoint {
  model: Record<string, Tensor>;
  optimizer?: OptimizerState;
  step: number;
  epoch?: number;
  rng?: ReturnType<Rng['getState']>;
  vocab?: VocabJSON;
  /** Anything else JSON-serialisable (model config, history). */
  extra?: Record<string, unknown>;
}

const asSafe = (t: Tensor): SafeTensor => ({ dtype: t.dtype, shape: [...t.shape], data: t.dataSync() });
const asTensor = (t: SafeTensor): Tensor => tensor(t.data, { shape: t.shape, dtype: t.dtype });

/**
 * A checkpoint as one safetensors file. Tensors: `model.<name>` (PyTorch names, so
 * `safetensors.torch.load_file` gives a state dict after stripping the prefix) and
 * `optimizer.<i>.<buffer>`; the rest is JSON in the `__metadata__` entry `recur`.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, t] of Object.entries(c.model)) tensors[`model.${name}`] = asSafe(t);
  c.optimizer?.slots.forEach((slots, i) => {
    for (const [k, t] of Object.entries(slots)) tensors[`optimizer.${i}.${k}`] = asSafe(t);
  });
  const meta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: c.step,
    epoch: c.epoch ?? null,
    rng: c.rng ?? null,
    vocab: c.vocab ?? null,
    extra: c.extra ?? null,
    optimizer: c.optimizer
      ? { name: c.optimizer.name, step: c.optimizer.step, hyper: c.optimizer.hyper, count: c.optimizer.slots.length }
      : null,
  };
  return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, recur: JSON.stringify(meta) });
}

/** Reads a checkpoint; the caller owns (and disposes) the tensors. */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint'): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, what);
  if (metadata.format !== CHECKPOINT_FORMAT || !metadata.recur) {
    throw new FormatError(`${what}: not a recur checkpoint (metadata format ${JSON.stringify(metadata.format)})`);
  }
  const meta = JSON.parse(metadata.recur);
  if (meta.version > CHECKPOINT_VERSION) {
    throw new FormatError(
      `${what}: checkpoint version ${meta.version} is newer than this library's ${CHECKPOINT_VERSION}`,
    );
  }
  const model: Record<string, Tensor> = {};
  const slots: Record<string, Tensor>[] = meta.optimizer
    ? Array.from({ length: meta.optimizer.count }, () => ({}))
    : [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) model[name.slice(6)] = asTensor(t);
    else if (name.startsWith('optimizer.')) {
      const [, i, ...rest] = name.split('.');
      slots[Number(i)][rest.join('.')] = asTensor(t);
    }
  }
  return {
    model,
    optimizer: meta.optimizer
      ? { name: meta.optimizer.name, step: meta.optimizer.step, hyper: meta.optimizer.hyper, slots }
      : undefined,
    step: meta.step,
    epoch: meta.epoch ?? undefined,
    rng: meta.rng ?? undefined,
    vocab: meta.vocab ?? undefined,
    extra: meta.extra ?? undefined,
  };
}
