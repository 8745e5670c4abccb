import type { Chooser } from './random';

/** Byte-level mutations that know nothing of the format: flips, overwrites, cuts, inserts, splices. */
export function mutateBytes(c: Chooser, input: Uint8Array): Uint8Array {
  const b = new Uint8Array(input);
  const at = () => c.int(Math.max(1, b.length));
  switch (c.int(7)) {
    case 0: {
      for (let k = 1 + c.int(8); k > 0 && b.length; k--) b[at()] ^= 1 << c.int(8);
      return b;
    }
    case 1: {
      for (let k = 1 + c.int(4); k > 0 && b.length; k--) b[at()] = c.pick([0, 0xff, 0x7f, 0x80, c.int(256)]);
      return b;
    }
    case 2:
      return b.slice(0, at());
    case 3: {
      const i = at();
      const extra = new Uint8Array(1 + c.int(16)).map(() => c.int(256));
      return concatBytes(b.subarray(0, i), extra, b.subarray(i));
    }
    case 4: {
      const i = at();
      return concatBytes(b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + c.int(32))));
    }
    case 5: {
      // Duplicate a range in place (repeated fields, repeated records).
      const i = at();
      const j = Math.min(b.length, i + 1 + c.int(64));
      return concatBytes(b.subarray(0, j), b.subarray(i, j), b.subarray(j));
    }
    default: {
      // A 4- or 8-byte little-endian integer overwritten with an interesting value.
      if (b.length < 8) return b;
      const i = c.int(b.length - 8);
      const view = new DataView(b.buffer);
      const v = c.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, c.int(2 ** 31)]);
      if (c.chance(0.5)) view.setUint32(i, v, true);
      else view.setBigUint64(i, c.chance(0.5) ? BigInt(v) : 0xffffffffffffffffn, true);
      return b;
    }
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
