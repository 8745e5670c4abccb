import type {
  FusedKernels,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentOutputs,
  TypedArray,
} from '@recur/backend-api';
import { adamStep } from './kernels/adam';
import { type RecurrentBackwardResult, recurrentBackward } from './kernels/recurrent-backward';
import { recurrentForward } from './kernels/recurrent-forward';
import { recurrentLayout } from './kernels/recurrent-layout';
import { wasmRecurrentBackward, wasmRecurrentForward, wasmRecurrentSupports } from './kernels/recurrent-wasm';
import { type WasmKernels, wasmKernels } from './wasm/runtime';

/**
 * backend-js's fused kernels: Adam's update in one pass, and the whole-sequence recurrent kernels
 * (forward and BPTT): the WebAssembly SIMD
 * kernels for the float32 cases they cover when `useWasm` and the engine allow, else TypeScript.
 * The workspace's dtype records which kernel made it, so backward always matches forward.
 */
export function createFusedKernels(useWasm: boolean, threads = 1): FusedKernels {
  const simd = (inputs: RecurrentInputs, attrs: RecurrentAttrs): WasmKernels | null =>
    useWasm && wasmRecurrentSupports(attrs, inputs.x.dtype) ? wasmKernels() : null;

  return {
    recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
      const k = simd(inputs, attrs);
      const r = k ? wasmRecurrentForward(k, inputs, attrs, threads) : recurrentForward(inputs, attrs);
      const { B, T, H, Hout, wsWidth } = r.layout;
      const dtype = inputs.x.dtype;
      const workspace = k
        ? { data: r.workspace, shape: [r.workspace.length], dtype: 'float32' as const }
        : { data: r.workspace, shape: [T, B, wsWidth], dtype: 'float64' as const };
      return {
        y: { data: r.y, shape: [B, T, Hout], dtype },
        hN: { data: r.hN, shape: [B, Hout], dtype },
        cN: r.cN ? { data: r.cN, shape: [B, H], dtype } : undefined,
        workspace,
      };
    },

    adamStep,

    recurrentBackward(inputs, attrs, outputs, dy, dhN, dcN): RecurrentGrads {
      const ws = outputs.workspace.data as TypedArray;
      const dyData = dy.data as TypedArray;
      const dhData = dhN.data as TypedArray;
      const dcData = dcN?.data as TypedArray | undefined;
      let g: RecurrentBackwardResult;
      if (ws instanceof Float32Array) {
        const k = wasmKernels();
        if (!k) throw new Error('backend-js: a WebAssembly recurrent workspace reached backward without the kernels');
        g = wasmRecurrentBackward(k, inputs, attrs, ws, dyData, dhData, dcData, threads);
      } else {
        const layout = recurrentLayout(inputs, attrs);
        g = recurrentBackward(inputs, attrs, layout, ws as Float64Array, dyData, dhData, dcData);
      }
      const dtype = inputs.x.dtype;
      const wrap = (data: TypedArray | undefined, like: { shape: readonly number[] } | undefined) =>
        data && like ? { data, shape: [...like.shape], dtype } : undefined;
      return {
        dx: { data: g.dx, shape: [...inputs.x.shape], dtype },
        dh0: { data: g.dh0, shape: [...inputs.h0.shape], dtype },
        dc0: wrap(g.dc0, inputs.c0),
        dWIh: { data: g.dWIh, shape: [...inputs.wIh.shape], dtype },
        dWHh: { data: g.dWHh, shape: [...inputs.wHh.shape], dtype },
        dBIh: wrap(g.dBIh, inputs.bIh),
        dBHh: wrap(g.dBHh, inputs.bHh),
        dWHr: wrap(g.dWHr, inputs.wHr),
      };
    },
  };
}
