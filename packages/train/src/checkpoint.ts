import type { VocabJSON } from '@recur/data';
import { FormatError, type Rng, type Tensor, tensor, UnsupportedError } from '@recur/tensor';
import type { OptimizerState } from './optimizers/optimizer';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';

/** The `format` a checkpoint's metadata carries. */
export const CHECKPOINT_FORMAT = 'recur-checkpoint';
/** The checkpoint layout version written. */
export const CHECKPOINT_VERSION = 1;

/**
 * Everything needed to resume training exactly: weights, optimizer buffers and hyperparameters,
 * the step, the random generator's state, and the vocabulary.
 */
export interface Checkpoint {
  /** The model's parameters by name (`stateDict()`). */
  model: Record<string, Tensor>;
  /** The optimizer's state (`optimizer.state()`). */
  optimizer?: OptimizerState;
  /** Optimizer steps taken so far. */
  step: number;
  /** Epochs completed. */
  epoch?: number;
  /** The random generator's state (`defaultRng().getState()`). */
  rng?: ReturnType<Rng['getState']>;
  /** The vocabulary the model reads. */
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON in `__metadata__.recur`, checked field by field. */
function readMeta(what: string, text: string): Record<string, unknown> {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`the checkpoint metadata is not valid JSON (${(e as Error).message})`, {
      file: what,
      entry: '__metadata__.recur',
    });
  }
  const fail = (message: string): never => {
    throw new FormatError(message, { file: what, entry: '__metadata__.recur' });
  };
  if (!isObject(meta)) return fail(`the checkpoint metadata should be an object, got ${JSON.stringify(meta)}`);
  if (typeof meta.version !== 'number' || !Number.isInteger(meta.version) || meta.version < 1)
    fail(`version should be a positive integer, got ${JSON.stringify(meta.version)}`);
  if ((meta.version as number) > CHECKPOINT_VERSION)
    throw new UnsupportedError(
      `${what}: checkpoint version ${meta.version} is newer than this library's ${CHECKPOINT_VERSION}`,
    );
  if (typeof meta.step !== 'number' || !Number.isInteger(meta.step) || meta.step < 0)
    fail(`step should be a non-negative integer, got ${JSON.stringify(meta.step)}`);
  if (
    meta.epoch !== null &&
    meta.epoch !== undefined &&
    (typeof meta.epoch !== 'number' || !Number.isInteger(meta.epoch))
  )
    fail(`epoch should be an integer or null, got ${JSON.stringify(meta.epoch)}`);
  const rng = meta.rng as { s?: unknown } | null | undefined;
  if (rng !== null && rng !== undefined && (!isObject(rng) || !Array.isArray(rng.s) || rng.s.length !== 4))
    fail(`rng should be a generator state {s: [4 numbers], ...} or null, got ${JSON.stringify(rng)?.slice(0, 60)}`);
  const opt = meta.optimizer;
  if (opt !== null && opt !== undefined) {
    if (
      !isObject(opt) ||
      typeof opt.name !== 'string' ||
      typeof opt.step !== 'number' ||
      !isObject(opt.hyper) ||
      typeof opt.count !== 'number' ||
      !Number.isInteger(opt.count) ||
      opt.count < 0
    )
      fail(`optimizer should be {name, step, hyper, count}, got ${JSON.stringify(opt)?.slice(0, 80)}`);
  }
  return meta as Record<string, unknown>;
}

/** Reads a checkpoint; the caller owns (and disposes) the tensors. Anything malformed is a FormatError. */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint'): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, what);
  if (metadata.format !== CHECKPOINT_FORMAT || !metadata.recur) {
    throw new FormatError(`not a recur checkpoint (metadata format ${JSON.stringify(metadata.format)})`, {
      file: what,
    });
  }
  const meta = readMeta(what, metadata.recur);
  const opt = meta.optimizer as { name: string; step: number; hyper: Record<string, number>; count: number } | null;
  const names = Object.keys(tensors);
  // One slot group per parameter: a count beyond the tensors in the file is not a checkpoint recur wrote.
  if (opt && opt.count > names.length) {
    throw new FormatError(
      `optimizer.count ${opt.count} is more than the ${names.length} tensors the checkpoint holds`,
      { file: what, entry: '__metadata__.recur' },
    );
  }
  const slots: Record<string, SafeTensor>[] = opt ? Array.from({ length: opt.count }, () => ({})) : [];
  const model: Record<string, SafeTensor> = {};
  for (const name of names) {
    const t = tensors[name];
    const slot = /^optimizer\.(\d+)\.(.+)$/.exec(name);
    if (name.startsWith('model.') && name.length > 6) model[name.slice(6)] = t;
    else if (slot && opt && Number(slot[1]) < opt.count) slots[Number(slot[1])][slot[2]] = t;
    else
      throw new FormatError(
        slot
          ? `optimizer slot group ${slot[1]} is outside the ${opt?.count ?? 0} the metadata declares`
          : 'a recur checkpoint holds model.<name> and optimizer.<i>.<buffer> tensors only',
        { file: what, entry: name },
      );
  }
  const toTensors = (r: Record<string, SafeTensor>) =>
    Object.fromEntries(Object.entries(r).map(([k, t]) => [k, asTensor(t)]));
  return {
    model: toTensors(model),
    optimizer: opt ? { name: opt.name, step: opt.step, hyper: opt.hyper, slots: slots.map(toTensors) } : undefined,
    step: meta.step as number,
    epoch: (meta.epoch as number | null) ?? undefined,
    rng: (meta.rng as Checkpoint['rng'] | null) ?? undefined,
    vocab: (meta.vocab as VocabJSON | null) ?? undefined,
    extra: (meta.extra as Record<string, unknown> | null) ?? undefined,
  };
}
