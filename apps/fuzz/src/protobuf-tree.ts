import { concatBytes } from './bytes-mutations';
import { type Chooser, INTERESTING_INTS } from './random';

/**
 * The protobuf wire format as a tree, for mutations that keep a message parseable while changing
 * what it says: a field deleted or repeated, a varint rewritten, a nested length recomputed.
 * Length-delimited fields that parse as messages become subtrees.
 */
export interface Field {
  num: number;
  wire: number;
  varint?: bigint;
  raw?: Uint8Array;
  children?: Field[];
}

function readVarint(b: Uint8Array, at: number): [bigint, number] | null {
  let v = 0n;
  let shift = 0n;
  for (let i = at; i < b.length && i < at + 10; i++) {
    v |= BigInt(b[i] & 0x7f) << shift;
    if ((b[i] & 0x80) === 0) return [v, i + 1];
    shift += 7n;
  }
  return null;
}

function writeVarint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const byte = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? byte | 0x80 : byte);
  } while (x);
  return Uint8Array.from(out);
}

/** Parses a message; null when the bytes are not one. */
export function parseMessage(b: Uint8Array, depth = 0): Field[] | null {
  const fields: Field[] = [];
  let at = 0;
  while (at < b.length) {
    const key = readVarint(b, at);
    if (!key) return null;
    const [k, next] = key;
    at = next;
    const num = Number(k >> 3n);
    const wire = Number(k & 7n);
    if (num === 0) return null;
    if (wire === 0) {
      const v = readVarint(b, at);
      if (!v) return null;
      fields.push({ num, wire, varint: v[0] });
      at = v[1];
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > b.length) return null;
      fields.push({ num, wire, raw: b.slice(at, at + n) });
      at += n;
    } else if (wire === 2) {
      const len = readVarint(b, at);
      if (!len) return null;
      const end = len[1] + Number(len[0]);
      if (end > b.length) return null;
      const raw = b.slice(len[1], end);
      const children = depth < 12 && raw.length > 0 ? parseMessage(raw, depth + 1) : null;
      fields.push(children ? { num, wire, children } : { num, wire, raw });
      at = end;
    } else return null;
  }
  return fields;
}

export function serialize(fields: Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(writeVarint((BigInt(f.num) << 3n) | BigInt(f.wire)));
    if (f.wire === 0) parts.push(writeVarint(f.varint ?? 0n));
    else if (f.wire === 2) {
      const body = f.children ? serialize(f.children) : (f.raw ?? new Uint8Array());
      parts.push(writeVarint(BigInt(body.length)), body);
    } else parts.push(f.raw ?? new Uint8Array(f.wire === 1 ? 8 : 4));
  }
  return concatBytes(...parts);
}

function allLists(fields: Field[], out: Field[][] = []): Field[][] {
  out.push(fields);
  for (const f of fields) if (f.children) allLists(f.children, out);
  return out;
}

/** One structural mutation of a parsed message (in place); returns the bytes. */
export function mutateMessage(c: Chooser, fields: Field[]): Uint8Array {
  const lists = allLists(fields).filter((l) => l.length > 0);
  for (let k = 1 + c.int(3); k > 0 && lists.length; k--) {
    const list = c.pick(lists);
    if (list.length === 0) continue;
    const i = c.int(list.length);
    const f = list[i];
    switch (c.int(5)) {
      case 0:
        list.splice(i, 1);
        break;
      case 1:
        list.splice(i, 0, structuredClone(f));
        break;
      case 2: {
        // A varint anywhere: sizes, dims, types, enum values, offsets.
        const varints = list.filter((x) => x.wire === 0);
        const v = varints.length ? c.pick(varints) : f;
        if (v.wire === 0) v.varint = BigInt(Math.trunc(c.pick(INTERESTING_INTS)));
        break;
      }
      case 3: {
        const j = c.int(list.length);
        [list[i], list[j]] = [list[j], list[i]];
        break;
      }
      default:
        if (f.raw) f.raw = f.raw.slice(0, c.int(f.raw.length + 1));
        else if (f.children) f.children = f.children.slice(0, c.int(f.children.length + 1));
    }
  }
  return serialize(fields);
}
