/**
 * The safetensors format's rules, written independently of recur's reader so the harness can
 * tell a file recur should have refused: 8-byte header size ≤ 100 MB, a UTF-8 JSON object
 * starting with '{', string-valued __metadata__, known dtypes, shapes of non-negative integers,
 * byte ranges that match dtype × shape, are contiguous from 0 and cover the data exactly.
 * Returns the first broken rule, or null for a valid file.
 */
const SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

export function safetensorsViolation(b: Uint8Array): string | null {
  if (b.length < 8) return 'shorter than the 8-byte header size';
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
  if (n > 100_000_000n) return 'header over 100 MB';
  if (8n + n > BigInt(b.length)) return 'header runs past the end';
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(8, 8 + Number(n)));
    if (!text.startsWith('{')) return 'header does not start with {';
    header = JSON.parse(text);
  } catch {
    return 'header is not UTF-8 JSON';
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'header is not an object';
  const ranges: [number, number, number][] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) return 'metadata is not an object';
      if (Object.values(v).some((x) => typeof x !== 'string')) return 'a metadata value is not a string';
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) return `entry ${name} is not an object`;
    if (typeof e.dtype !== 'string' || !(e.dtype in SIZES)) return `entry ${name} has an unknown dtype`;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return `entry ${name} has a bad shape`;
    const o = e.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x) && x >= 0) || o[0] > o[1])
      return `entry ${name} has bad offsets`;
    const elements = (e.shape as number[]).reduce((a, d) => a * d, 1);
    if (elements * SIZES[e.dtype] !== o[1] - o[0]) return `entry ${name}'s size does not match its range`;
    ranges.push([o[0], o[1], 0]);
  }
  ranges.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  let at = 0;
  for (const [s, e] of ranges) {
    if (s !== at) return 'ranges overlap or leave a gap';
    at = e;
  }
  if (8 + Number(n) + at !== b.length) return 'ranges do not cover the data exactly';
  return null;
}
