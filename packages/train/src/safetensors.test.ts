import { FormatError, LimitError, type RecurError, UnsupportedError } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { decodeSafetensors } from './safetensors';

/** A safetensors file from a header object and the data bytes (as another writer would make it). */
function file(header: unknown, data: Uint8Array | number[] = [], raw?: string): Uint8Array {
  const json = new TextEncoder().encode(raw ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function thrown(f: () => unknown): RecurError {
  try {
    f();
  } catch (e) {
    return e as RecurError;
  }
  throw new Error('expected an error');
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('safetensors follow the format rules', () => {
  it('reads the dtypes PyTorch writes: F16, BF16, I64, I16, U8 and the rest', () => {
    const bytes = new Uint8Array([
      ...[0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c], // F16 1, -2, +inf
      ...[0x80, 0x3f, 0x49, 0x40], // BF16 1, 3.140625
      ...new Uint8Array(new BigInt64Array([-5n, 2147483647n]).buffer),
      ...[0xff, 0xff, 0x02, 0x00], // I16 -1, 2
      ...[200, 1], // U8
    ]);
    const { tensors } = decodeSafetensors(
      file(
        {
          h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
          l: { dtype: 'I64', shape: [2], data_offsets: [10, 26] },
          s: { dtype: 'I16', shape: [2], data_offsets: [26, 30] },
          u: { dtype: 'U8', shape: [2], data_offsets: [30, 32] },
        },
        bytes,
      ),
    );
    expect(Array.from(tensors.h.data)).toEqual([1, -2, Number.POSITIVE_INFINITY]);
    expect(tensors.h.dtype).toBe('float32');
    expect(Array.from(tensors.b.data)).toEqual([1, 3.140625]);
    expect(Array.from(tensors.l.data)).toEqual([-5, 2147483647]);
    expect(tensors.l.dtype).toBe('int32');
    expect(Array.from(tensors.s.data)).toEqual([-1, 2]);
    expect(Array.from(tensors.u.data)).toEqual([200, 1]);
  });

  const a = (offsets: number[], shape = [2], dtype = 'F32') => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'overlapping offsets',
      file({ x: a([0, 8]), y: a([4, 12]) }, f32([1, 2, 3])),
      /'y', byte \d+: data_offsets \[4, 12\] overlap the tensor before \(which ends at 8\)/,
    ],
    [
      'a gap between tensors',
      file({ x: a([0, 8]), y: a([12, 20]) }, f32([1, 2, 3, 4, 5])),
      /data_offsets \[12, 20\] leave bytes 8\.\.12 unclaimed/,
    ],
    [
      'bytes after the last tensor',
      file({ x: a([0, 8]) }, f32([1, 2, 3])),
      /the tensors cover 8 bytes of data, but the file holds 12/,
    ],
    [
      'a range of the wrong size',
      file({ x: a([0, 12]) }, f32([1, 2, 3])),
      /'x', byte \d+: \[2\] F32 needs 8 bytes, but data_offsets \[0, 12\] hold 12/,
    ],
    [
      'end before begin',
      file({ x: a([8, 0]) }, f32([1, 2])),
      /data_offsets should be \[begin, end\] with 0 ≤ begin ≤ end, got \[8,0\]/,
    ],
    ['a negative offset', file({ x: a([-4, 4]) }, f32([1, 2])), /data_offsets should be/],
    ['an unknown dtype', file({ x: a([0, 8], [2], 'F31') }, f32([1, 2])), /unknown dtype "F31"/],
    [
      'a negative dim',
      file({ x: a([0, 8], [-2]) }, f32([1, 2])),
      /shape should be a list of non-negative integers, got \[-2\]/,
    ],
    ['a fractional dim', file({ x: a([0, 8], [1.5]) }, f32([1, 2])), /shape should be/],
    [
      'a non-string metadata value',
      file({ __metadata__: { n: 3 }, x: a([0, 8]) }, f32([1, 2])),
      /__metadata__ values should be strings; 'n' is 3/,
    ],
    ['metadata as a list', file({ __metadata__: ['a'] }), /__metadata__ should be an object of strings/],
    ['a header that is not an object', file(null, [], '[1, 2]'), /starting with \{/],
    ['a header that is not JSON', file(null, [], '{"x": '), /does not parse/],
    ['an empty file', new Uint8Array(), /0 bytes is too short/],
    ['an entry that is not an object', file({ x: 5 }), /should be \{dtype, shape, data_offsets\}, got 5/],
    [
      'a BOOL that is not 0 or 1',
      file({ x: a([0, 2], [2], 'BOOL') }, [1, 7]),
      /BOOL value 7 at element 1 is neither 0 nor 1/,
    ],
    [
      'an I64 out of int32 range',
      file({ x: a([0, 8], [1], 'I64') }, new Uint8Array(new BigInt64Array([1n << 40n]).buffer)),
      /I64 value 1099511627776 at element 0 does not fit in int32/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what}`, () => {
      const e = thrown(() => decodeSafetensors(bytes, 'w.safetensors'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/^w\.safetensors/);
    });
  }

  it('refuses invalid UTF-8, a huge element count, and reports dtypes it cannot hold', () => {
    const bad = file(null, [], '{"x":1}');
    bad[9] = 0xff;
    expect(thrown(() => decodeSafetensors(bad)).message).toMatch(/not valid UTF-8/);
    const big = thrown(() => decodeSafetensors(file({ x: a([0, 8], [1 << 20, 1 << 20]) }, f32([1, 2]))));
    expect(big).toBeInstanceOf(LimitError);
    expect(big.message).toMatch(/tensor 'x': \[1048576, 1048576\] is 1,099,511,627,776 elements, over the limit/);
    const u32 = thrown(() => decodeSafetensors(file({ x: a([0, 4], [1], 'U32') }, [1, 0, 0, 0])));
    expect(u32).toBeInstanceOf(UnsupportedError);
    expect(u32.message).toMatch(/'x' is U32; recur reads F32/);
  });

  it('a tensor named __proto__ is a tensor, not a prototype', () => {
    const { tensors } = decodeSafetensors(
      file(JSON.parse('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'), f32([5])),
    );
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Array.from(Object.getOwnPropertyDescriptor(tensors, '__proto__')?.value.data)).toEqual([5]);
  });
});

describe('checkpoint metadata is checked before it is trusted', () => {
  const good = encodeCheckpoint({ model: {}, step: 3 });
  /** A checkpoint with its metadata (and optionally tensors) replaced. */
  const withMeta = (recur: string, tensors: Record<string, unknown> = {}, data: number[] = []) =>
    file({ __metadata__: { format: 'recur-checkpoint', recur }, ...tensors }, data);
  const base = { format: 'recur-checkpoint', version: 1, step: 3, epoch: null, rng: null, vocab: null, extra: null };

  it('round trips', () => {
    expect(decodeCheckpoint(good).step).toBe(3);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['metadata that is not JSON', withMeta('{"version": 1,'), /checkpoint metadata is not valid JSON/],
    [
      'a negative step',
      withMeta(JSON.stringify({ ...base, step: -1 })),
      /step should be a non-negative integer, got -1/,
    ],
    ['a bad rng', withMeta(JSON.stringify({ ...base, rng: { s: [1] } })), /rng should be a generator state/],
    [
      '10⁹ optimizer slot groups',
      withMeta(JSON.stringify({ ...base, optimizer: { name: 'Adam', step: 1, hyper: {}, count: 1e9 } })),
      /optimizer.count 1000000000 is more than the 0 tensors the checkpoint holds/,
    ],
    [
      'a slot group outside the count',
      withMeta(
        JSON.stringify({ ...base, optimizer: { name: 'SGD', step: 1, hyper: {}, count: 1 } }),
        { 'optimizer.99.momentum': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
        [0, 0, 0, 0],
      ),
      /'optimizer\.99\.momentum'.*slot group 99 is outside the 1 the metadata declares/,
    ],
    [
      'a tensor of no known group',
      withMeta(JSON.stringify(base), { stray: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]),
      /'stray'.*holds model\.<name> and optimizer\.<i>\.<buffer> tensors only/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what}`, () => {
      const start = Date.now();
      const e = thrown(() => decodeCheckpoint(bytes, 'c.safetensors'));
      expect(Date.now() - start).toBeLessThan(1000);
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
    });
  }

  it('a newer version is an UnsupportedError', () => {
    const e = thrown(() => decodeCheckpoint(withMeta(JSON.stringify({ ...base, version: 2 }))));
    expect(e).toBeInstanceOf(UnsupportedError);
    expect(e.message).toMatch(/version 2 is newer than this library's 1/);
  });
});
