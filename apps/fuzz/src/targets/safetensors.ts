import { valueAndGradsOf } from '@recur/autograd';
import { dispose, manualSeed, tensor, tidy } from '@recur/tensor';
import {
  Adam,
  crossEntropy,
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  encodeSafetensors,
  RecurrentLM,
} from '@recur/train';
import { concatBytes, mutateBytes } from '../bytes-mutations';
import { mutateJson } from '../json-mutations';
import { INTERESTING_INTS } from '../random';
import { safetensorsViolation } from '../safetensors-rules';
import type { FuzzTarget, Seed } from '../target';

const LM = { vocabSize: 12, embeddingDim: 4, hiddenSize: 6, cell: 'LSTM' as const };

/** A checkpoint as recur writes one: a small language model after one Adam step. */
function checkpointSeed(): Uint8Array {
  manualSeed(1);
  const lm = new RecurrentLM(LM);
  const opt = new Adam(lm.parameters(), { lr: 0.01 });
  tidy(() => {
    const x = tensor([[1, 2, 3, 4]], { dtype: 'int32' });
    const y = tensor([[2, 3, 4, 5]], { dtype: 'int32' });
    const { grads } = valueAndGradsOf(
      () => crossEntropy(lm.forward(x).logits, y),
      opt.params.map((p) => p.value),
    );
    opt.step(grads);
  });
  const bytes = encodeCheckpoint({
    model: lm.stateDict(),
    optimizer: opt.state(),
    step: 1,
    rng: { s: [1, 2, 3, 4] } as never,
  });
  lm.dispose();
  return bytes;
}

/** A file as PyTorch's safetensors writes one, with the dtypes recur converts. */
function torchSeed(): Uint8Array {
  const header = {
    __metadata__: { format: 'pt' },
    'w.half': { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] },
    'w.bf16': { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
    steps: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
    mask: { dtype: 'BOOL', shape: [3], data_offsets: [20, 23] },
  };
  return withHeader(
    header,
    Uint8Array.from([0, 60, 0, 64, 0, 188, 0, 0, 128, 63, 0, 64, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]),
  );
}

function withHeader(header: unknown, data: Uint8Array, raw?: string): Uint8Array {
  const json = new TextEncoder().encode(raw ?? JSON.stringify(header));
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(json.length), true);
  return concatBytes(size, json, data);
}

function split(b: Uint8Array): { header: unknown; data: Uint8Array } | null {
  if (b.length < 8) return null;
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  try {
    return { header: JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))), data: b.subarray(8 + n) };
  } catch {
    return null;
  }
}

export const safetensorsTarget: FuzzTarget = {
  name: 'safetensors',
  async seeds(): Promise<Seed[]> {
    return [
      { name: 'recur checkpoint', main: 'ckpt.safetensors', files: { 'ckpt.safetensors': checkpointSeed() } },
      { name: 'torch dtypes', main: 'w.safetensors', files: { 'w.safetensors': torchSeed() } },
      {
        name: 'state dict',
        main: 'sd.safetensors',
        files: {
          'sd.safetensors': encodeSafetensors({
            a: { dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) },
          }),
        },
      },
    ];
  },
  mutate(c, seed) {
    const bytes = seed.files[seed.main];
    const parts = split(bytes);
    let out: Uint8Array;
    const how = c.int(10);
    if (how < 5 && parts) {
      // The header's JSON: offsets, dtypes, shapes, metadata (the checkpoint's own JSON inside it too).
      const header = parts.header as Record<string, { recur?: string }>;
      if (c.chance(0.3) && typeof header.__metadata__?.recur === 'string') {
        const meta = mutateJson(c, JSON.parse(header.__metadata__.recur));
        header.__metadata__.recur = c.chance(0.1) ? '{"version": 1,' : JSON.stringify(meta);
        out = withHeader(header, parts.data);
      } else out = withHeader(mutateJson(c, header), parts.data);
    } else if (how < 7) out = mutateBytes(c, bytes);
    else if (how < 8) {
      out = new Uint8Array(bytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(Math.abs(Math.trunc(c.pick(INTERESTING_INTS)))), true);
    } else if (how < 9 && parts) {
      out = withHeader(parts.header, mutateBytes(c, parts.data));
    } else {
      // A duplicate key, written the way a hand-made header could be.
      const text = parts ? JSON.stringify(parts.header) : '{}';
      out = withHeader(null, parts?.data ?? new Uint8Array(), text.replace(/^\{("[^"]+":\{[^}]*\})/, '{$1,$1'));
    }
    return { ...seed, files: { [seed.main]: out } };
  },
  async run(kase) {
    const bytes = kase.files[kase.main];
    decodeSafetensors(bytes, kase.main);
    const broken = safetensorsViolation(bytes);
    if (broken) return { invalid: broken };
    if (kase.name !== 'recur checkpoint') return undefined;
    const ck = decodeCheckpoint(bytes, kase.main);
    const lm = new RecurrentLM(LM);
    try {
      lm.loadStateDict(ck.model);
      if (ck.optimizer) {
        const opt = new Adam(lm.parameters());
        opt.loadState(ck.optimizer);
        opt.dispose();
      }
    } finally {
      lm.dispose();
      dispose(Object.values(ck.model));
      for (const s of ck.optimizer?.slots ?? []) dispose(Object.values(s));
    }
    return undefined;
  },
};
