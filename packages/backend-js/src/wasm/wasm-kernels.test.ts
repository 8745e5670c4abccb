import type { RecurrentAttrs, RecurrentInputs, RecurrentKind, TypedArray } from '@recur/backend-api';
import { describe, expect, it } from 'vitest';
import { createFusedKernels } from '../fused-kernels';
import { JsBackend } from '../js-backend';
import { matMul } from '../kernels/mat-mul';
import { isBlockTensor } from './block-tensor';
import { wasmKernels, wasmKernelsOf, wasmReady, wasmVariant, wasmVariantsAvailable } from './loader';

// The TypeScript kernels are the reference: the SIMD kernels must agree to float32 rounding.

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 1.6;
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('WebAssembly SIMD kernels', () => {
  it('load in Node 20 (SIMD is available; a silent fallback to TypeScript would fail here)', () => {
    expect(wasmKernels()).not.toBeNull();
  });

  it('run the relaxed-SIMD build (fused multiply-add) where the engine validates it: Node ≥ 22; else the SIMD build', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const relaxedFlag = process.execArgv.some((a) => a.includes('relaxed-simd'));
    const available = wasmVariantsAvailable();
    expect(available).toContain('simd');
    expect(available.includes('relaxed')).toBe(major >= 22 || relaxedFlag);
    const forced = process.env.RECUR_WASM_SIMD === 'plain';
    expect(wasmVariant()).toBe(available.includes('relaxed') && !forced ? 'relaxed' : 'simd');
  });

  it('the two builds agree with the TypeScript gemm and with each other to float32 rounding', () => {
    const [M, K, N] = [64, 300, 70];
    const a = random(M * K, 3);
    const b = random(K * N, 4);
    const ref = matMul(a, [M, K], b, [K, N], false, false, 'float32', null).data;
    const results = wasmVariantsAvailable().map((v) => {
      const got = matMul(a, [M, K], b, [K, N], false, false, 'float32', wasmKernelsOf(v)).data;
      expect(maxDiff(got, ref), v).toBeLessThan(2e-6 * Math.sqrt(K));
      return got;
    });
    if (results.length === 2) {
      const d = maxDiff(results[0], results[1]);
      console.log(`relaxed vs plain SIMD gemm ${M}×${K}·${K}×${N}: max |difference| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(2e-6 * Math.sqrt(K));
    }
  });

  const shapes: [number, number, number][] = [
    [1, 256, 1024],
    [3, 5, 7],
    [37, 13, 29],
    [64, 300, 70],
    [130, 257, 9],
    [2, 1000, 3],
  ];
  for (const [M, K, N] of shapes) {
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`matMul ${M}×${K}·${K}×${N} transposeA=${tA} transposeB=${tB} agrees with the TypeScript gemm`, () => {
        const a = random(M * K, M + K);
        const b = random(K * N, N + 7);
        const aShape = tA ? [K, M] : [M, K];
        const bShape = tB ? [N, K] : [K, N];
        const ref = matMul(a, aShape, b, bShape, tA, tB, 'float32', null).data;
        const got = matMul(a, aShape, b, bShape, tA, tB, 'float32', wasmKernels()).data;
        expect(maxDiff(got, ref)).toBeLessThan(2e-6 * Math.sqrt(K));
      });
    }
  }

  it('matMul with broadcast batch dimensions', () => {
    const a = random(3 * 2 * 17 * 19, 1);
    const b = random(2 * 19 * 23, 2);
    const ref = matMul(a, [3, 2, 17, 19], b, [2, 19, 23], false, false, 'float32', null);
    const got = matMul(a, [3, 2, 17, 19], b, [2, 19, 23], false, false, 'float32', wasmKernels());
    expect(got.shape).toEqual([3, 2, 17, 23]);
    expect(maxDiff(got.data, ref.data)).toBeLessThan(1e-5);
  });

  const simd = createFusedKernels(true);
  const scalar = createFusedKernels(false);
  const backend = new JsBackend();
  const activations: Record<RecurrentKind, RecurrentAttrs['activations']> = {
    rnn: ['tanh'],
    lstm: ['sigmoid', 'tanh', 'tanh'],
    gru: ['sigmoid', 'tanh'],
  };
  const t = (data: TypedArray, shape: number[], dtype: 'float32' | 'int32' = 'float32') => ({ data, shape, dtype });

  for (const kind of ['rnn', 'lstm', 'gru'] as const) {
    for (const [reverse, lengths, bias] of [
      [false, false, true],
      [true, true, true],
      [false, true, false],
    ] as const) {
      it(`${kind} reverse=${reverse} lengths=${lengths} bias=${bias}: forward and BPTT agree with TypeScript`, () => {
        // H = 9 exercises the one-lane tail of every gate loop; lengths leave rows behind early.
        const [B, T, I, H] = [5, 7, 6, 9];
        const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
        const inputs: RecurrentInputs = {
          x: t(random(B * T * I, 1), [B, T, I]),
          wIh: t(random(G * H * I, 2), [G * H, I]),
          wHh: t(random(G * H * H, 3), [G * H, H]),
          bIh: bias ? t(random(G * H, 4), [G * H]) : undefined,
          bHh: bias ? t(random(G * H, 5), [G * H]) : undefined,
          h0: t(random(B * H, 6), [B, H]),
          c0: kind === 'lstm' ? t(random(B * H, 7), [B, H]) : undefined,
          seqLengths: lengths ? t(Int32Array.from([7, 1, 4, 7, 2]), [B], 'int32') : undefined,
        };
        const attrs: RecurrentAttrs = {
          kind,
          hiddenSize: H,
          projSize: 0,
          reverse,
          activations: activations[kind],
          linearBeforeReset: true,
        };
        const a = simd.recurrent(inputs, attrs);
        const b = scalar.recurrent(inputs, attrs);
        expect(isBlockTensor(a.workspace)).toBe(true); // the SIMD path ran; its workspace stays in wasm memory
        expect(a.workspace.data).toBeInstanceOf(Float32Array);
        expect(b.workspace.data).toBeInstanceOf(Float64Array);
        expect(maxDiff(a.y.data as TypedArray, b.y.data as TypedArray)).toBeLessThan(1e-6);
        expect(maxDiff(a.hN.data as TypedArray, b.hN.data as TypedArray)).toBeLessThan(1e-6);
        if (kind === 'lstm') expect(maxDiff(a.cN?.data as TypedArray, b.cN?.data as TypedArray)).toBeLessThan(1e-6);
        const dy = t(random(B * T * H, 8), [B, T, H]);
        const dh = t(random(B * H, 9), [B, H]);
        const dc = kind === 'lstm' ? t(random(B * H, 10), [B, H]) : undefined;
        const ga = simd.recurrentBackward(inputs, attrs, a, dy, dh, dc);
        const gb = scalar.recurrentBackward(inputs, attrs, b, dy, dh, dc);
        for (const key of ['dx', 'dh0', 'dc0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'] as const) {
          const want = gb[key];
          const got = ga[key];
          expect(got === undefined, key).toBe(want === undefined);
          if (want && got) expect(maxDiff(got.data as TypedArray, want.data as TypedArray), key).toBeLessThan(2e-6);
        }
        backend.dispose(a.workspace);
      });
    }
  }

  it('leaves the cases it does not cover to TypeScript (projection, classic GRU, other activations, float64)', () => {
    const base: RecurrentAttrs = {
      kind: 'lstm',
      hiddenSize: 4,
      projSize: 0,
      reverse: false,
      activations: activations.lstm,
      linearBeforeReset: true,
    };
    const inputs = (dtype: 'float32' | 'float64') => ({
      x: { data: dtype === 'float32' ? random(6, 1) : Float64Array.from(random(6, 1)), shape: [1, 2, 3], dtype },
      wIh: { data: random(48, 2), shape: [16, 3], dtype: 'float32' as const },
      wHh: { data: random(64, 3), shape: [16, 4], dtype: 'float32' as const },
      h0: { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' as const },
    });
    const kernelOf = (attrs: RecurrentAttrs, dtype: 'float32' | 'float64' = 'float32') => {
      const { workspace } = simd.recurrent(inputs(dtype), attrs);
      backend.dispose(workspace);
      return (workspace.data as object).constructor;
    };
    expect(kernelOf(base)).toBe(Float32Array);
    expect(kernelOf(base, 'float64')).toBe(Float64Array);
    expect(kernelOf({ ...base, activations: ['hardSigmoid', 'tanh', 'tanh'] })).toBe(Float64Array);
  });

  it('reuses its memory: repeated training steps do not grow it', () => {
    const [B, T, I, H] = [4, 12, 8, 16];
    const inputs: RecurrentInputs = {
      x: t(random(B * T * I, 1), [B, T, I]),
      wIh: t(random(4 * H * I, 2), [4 * H, I]),
      wHh: t(random(4 * H * H, 3), [4 * H, H]),
      h0: t(new Float32Array(B * H), [B, H]),
      c0: t(new Float32Array(B * H), [B, H]),
    };
    const attrs: RecurrentAttrs = {
      kind: 'lstm',
      hiddenSize: H,
      projSize: 0,
      reverse: false,
      activations: activations.lstm,
      linearBeforeReset: true,
    };
    const step = () => {
      const out = simd.recurrent(inputs, attrs);
      simd.recurrentBackward(
        inputs,
        attrs,
        out,
        t(random(B * T * H, 4), [B, T, H]),
        t(new Float32Array(B * H), [B, H]),
      );
      return out.workspace;
    };
    backend.dispose(step());
    const k = wasmKernels();
    const bytes = k?.memoryBytes;
    for (let i = 0; i < 500; i++) backend.dispose(step());
    expect(k?.memoryBytes).toBe(bytes);
    expect(k?.retainedBlocks).toBe(0);
  });

  it('keeps a workspace in wasm memory from forward to backward, and gives it back when disposed', () => {
    const [B, T, I, H] = [3, 5, 4, 8];
    const inputs: RecurrentInputs = {
      x: t(random(B * T * I, 1), [B, T, I]),
      wIh: t(random(3 * H * I, 2), [3 * H, I]),
      wHh: t(random(3 * H * H, 3), [3 * H, H]),
      h0: t(random(B * H, 4), [B, H]),
    };
    const attrs: RecurrentAttrs = {
      kind: 'gru',
      hiddenSize: H,
      projSize: 0,
      reverse: false,
      activations: activations.gru,
      linearBeforeReset: true,
    };
    const k = wasmKernels();
    const dy = t(random(B * T * H, 5), [B, T, H]);
    const dh = t(random(B * H, 6), [B, H]);
    // Two forwards before either backward (a stacked or bidirectional layer), backward in reverse order.
    const first = simd.recurrent(inputs, attrs);
    const second = simd.recurrent(inputs, attrs);
    expect(k?.retainedBlocks).toBe(2);
    const g2 = simd.recurrentBackward(inputs, attrs, second, dy, dh);
    const g1 = simd.recurrentBackward(inputs, attrs, first, dy, dh);
    // Each backward read its own workspace, untouched by the calls in between.
    expect(maxDiff(g1.dWHh.data as TypedArray, g2.dWHh.data as TypedArray)).toBe(0);
    const ref = scalar.recurrentBackward(inputs, attrs, scalar.recurrent(inputs, attrs), dy, dh);
    expect(maxDiff(g1.dWHh.data as TypedArray, ref.dWHh.data as TypedArray)).toBeLessThan(2e-6);
    backend.dispose(first.workspace);
    expect(k?.retainedBlocks).toBe(1);
    backend.dispose(second.workspace);
    backend.dispose(second.workspace); // twice is harmless
    expect(k?.retainedBlocks).toBe(0);
    expect(() => simd.recurrentBackward(inputs, attrs, first, dy, dh)).toThrow(/released before backward/);
  });

  it('keeps packed weights between calls, and starts over instead of growing when weights keep changing', () => {
    const [B, T, I, H] = [1, 1, 64, 256];
    const attrs: RecurrentAttrs = {
      kind: 'lstm',
      hiddenSize: H,
      projSize: 0,
      reverse: false,
      activations: activations.lstm,
      linearBeforeReset: true,
      saveForBackward: false,
    };
    const call = (wHh: Float32Array) =>
      simd.recurrent(
        {
          x: t(random(B * T * I, 1), [B, T, I]),
          wIh: t(random(4 * H * I, 2), [4 * H, I]),
          wHh: t(wHh, [4 * H, H]),
          h0: t(random(B * H, 5), [B, H]), // not zero, so W_hh shows in the output
          c0: t(new Float32Array(B * H), [B, H]),
        },
        attrs,
      ).y.data as Float32Array;
    // The same array twice reuses its pack; a different array with other values is packed afresh.
    const w = random(4 * H * H, 3);
    const first = call(w);
    expect(maxDiff(call(w), first)).toBe(0);
    expect(maxDiff(call(random(4 * H * H, 4)), first)).toBeGreaterThan(0);
    // Training makes new weight arrays every step: about 1.3 MB of packs each, 64 MB kept at most.
    const k = wasmKernels();
    for (let i = 0; i < 80; i++) call(random(4 * H * H, 100 + i));
    const bytes = k?.memoryBytes;
    for (let i = 0; i < 80; i++) call(random(4 * H * H, 200 + i));
    expect(k?.memoryBytes).toBe(bytes);
  });

  describe('on two threads', () => {
    it('start worker threads on request', async () => {
      expect(await wasmReady(2)).toBe(true);
      expect(wasmKernels()?.threads(2)).toBe(2);
    });

    // A batch too small to split by rows is split by hidden units: each thread multiplies by its
    // units' columns (and with one step projects its own input); same sums in the same order.
    for (const kind of ['lstm', 'gru', 'rnn'] as const) {
      for (const [B, T] of [
        [1, 9],
        [3, 1],
        [1, 1],
      ] as const) {
        it(`${kind} ${B}×${T}: a step split by hidden units equals one thread bit for bit, and BPTT reads its workspace`, () => {
          const [I, H] = [20, 260]; // 260 units: two blocks of 132 and 128, one-lane tails
          const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
          const inputs: RecurrentInputs = {
            x: t(random(B * T * I, 1), [B, T, I]),
            wIh: t(random(G * H * I, 2), [G * H, I]),
            wHh: t(random(G * H * H, 3), [G * H, H]),
            bIh: t(random(G * H, 4), [G * H]),
            bHh: t(random(G * H, 5), [G * H]),
            h0: t(random(B * H, 6), [B, H]),
            c0: kind === 'lstm' ? t(random(B * H, 7), [B, H]) : undefined,
            seqLengths:
              B > 1
                ? t(
                    Int32Array.from({ length: B }, (_, i) => T - (i % T)),
                    [B],
                    'int32',
                  )
                : undefined,
          };
          const attrs: RecurrentAttrs = {
            kind,
            hiddenSize: H,
            projSize: 0,
            reverse: false,
            activations: activations[kind],
            linearBeforeReset: true,
          };
          const k = wasmKernels();
          if (!k) throw new Error('no kernels');
          const ran: string[] = [];
          const parallel = k.parallel.bind(k);
          k.parallel = (calls) => {
            ran.push(...calls.map(([name]) => name));
            parallel(calls);
          };
          try {
            const one = createFusedKernels(true, 1);
            const two = createFusedKernels(true, 2);
            const a = one.recurrent(inputs, attrs);
            ran.length = 0;
            const b = two.recurrent(inputs, attrs);
            expect(ran.filter((n) => n === `${kind}Units`).length).toBe(2 * T); // two threads a step
            expect(maxDiff(b.y.data as TypedArray, a.y.data as TypedArray)).toBe(0);
            expect(maxDiff(b.hN.data as TypedArray, a.hN.data as TypedArray)).toBe(0);
            if (kind === 'lstm') expect(maxDiff(b.cN?.data as TypedArray, a.cN?.data as TypedArray)).toBe(0);
            const dy = t(random(B * T * H, 8), [B, T, H]);
            const dh = t(random(B * H, 9), [B, H]);
            const ga = one.recurrentBackward(inputs, attrs, a, dy, dh);
            const gb = two.recurrentBackward(inputs, attrs, b, dy, dh);
            for (const key of ['dx', 'dh0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'] as const) {
              expect(maxDiff(gb[key]?.data as TypedArray, ga[key]?.data as TypedArray), key).toBe(0);
            }
            backend.dispose(a.workspace);
            backend.dispose(b.workspace);
          } finally {
            k.parallel = parallel;
          }
        });
      }
    }

    it('matMul splits rows across threads with bit-identical results', () => {
      const [M, K, N] = [96, 200, 130];
      const a = random(M * K, 11);
      const b = random(K * N, 12);
      const one = matMul(a, [M, K], b, [K, N], false, false, 'float32', wasmKernels(), 1).data;
      const two = matMul(a, [M, K], b, [K, N], false, false, 'float32', wasmKernels(), 2).data;
      expect(maxDiff(two, one)).toBe(0);
    });

    for (const kind of ['lstm', 'gru', 'rnn'] as const) {
      it(`${kind}: forward and BPTT on two threads equal one thread bit for bit`, () => {
        const [B, T, I, H] = [34, 5, 24, 64]; // 34 rows: blocks of 20 and 14, lengths shrink them
        const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
        const inputs: RecurrentInputs = {
          x: t(random(B * T * I, 1), [B, T, I]),
          wIh: t(random(G * H * I, 2), [G * H, I]),
          wHh: t(random(G * H * H, 3), [G * H, H]),
          bIh: t(random(G * H, 4), [G * H]),
          bHh: t(random(G * H, 5), [G * H]),
          h0: t(random(B * H, 6), [B, H]),
          c0: kind === 'lstm' ? t(random(B * H, 7), [B, H]) : undefined,
          seqLengths: t(
            Int32Array.from({ length: B }, (_, i) => 1 + (i % T)),
            [B],
            'int32',
          ),
        };
        const attrs: RecurrentAttrs = {
          kind,
          hiddenSize: H,
          projSize: 0,
          reverse: true,
          activations: activations[kind],
          linearBeforeReset: true,
        };
        const one = createFusedKernels(true, 1);
        const two = createFusedKernels(true, 2);
        const a = one.recurrent(inputs, attrs);
        const b = two.recurrent(inputs, attrs);
        expect(maxDiff(b.y.data as TypedArray, a.y.data as TypedArray)).toBe(0);
        const dy = t(random(B * T * H, 8), [B, T, H]);
        const dh = t(random(B * H, 9), [B, H]);
        const ga = one.recurrentBackward(inputs, attrs, a, dy, dh);
        const gb = two.recurrentBackward(inputs, attrs, b, dy, dh);
        for (const key of ['dx', 'dh0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'] as const) {
          expect(maxDiff(gb[key]?.data as TypedArray, ga[key]?.data as TypedArray), key).toBe(0);
        }
        backend.dispose(a.workspace);
        backend.dispose(b.workspace);
      });
    }
  });
});
