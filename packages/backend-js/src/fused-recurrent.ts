import type {
  BackendTensor,
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
import { type RecurrentLayout, recurrentLayout } from './kernels/recurrent-layout';
import { wasmRecurrentBackward, wasmRecurrentForward, wasmRecurrentSupports } from './kernels/recurrent-wasm';
import { blockTensor, isBlockTensor } from './wasm/block-tensor';
import { type WasmKernels, wasmKernels } from './wasm/runtime';

/**
 * backend-js's fused kernels: Adam's update in one pass, and the whole-sequence recurrent kernels
 * (forward and BPTT): the WebAssembly SIMD
 * kernels for the float32 cases they cover when `useWasm` and the engine allow, else TypeScript.
 * The workspace records which kernel made it, so backward always matches forward: the SIMD
 * kernel's stays in wasm memory (a block tensor), the TypeScript kernel's is float64.
 */
export function createFusedKernels(useWasm: boolean, threads = 1): FusedKernels {
  const simd = (inputs: RecurrentInputs, attrs: RecurrentAttrs): WasmKernels | null =>
    useWasm && wasmRecurrentSupports(attrs, inputs.x.dtype) ? wasmKernels() : null;

  return {
    recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
      const k = simd(inputs, attrs);
      let r: { y: TypedArray; hN: TypedArray; cN?: TypedArray; layout: RecurrentLayout };
      let workspace: BackendTensor;
      if (k) {
        const w = wasmRecurrentForward(k, inputs, attrs, threads);
        r = w;
        workspace = w.workspace
          ? blockTensor(w.workspace)
          : { data: new Float32Array(0), shape: [0], dtype: 'float32' };
      } else {
        const t = recurrentForward(inputs, attrs);
        r = t;
        workspace = { data: t.workspace, shape: [t.layout.T, t.layout.B, t.layout.wsWidth], dtype: 'float64' };
      }
      const { B, T, H, Hout } = r.layout;
      const dtype = inputs.x.dtype;
      return {
        y: { data: r.y, shape: [B, T, Hout], dtype },
        hN: { data: r.hN, shape: [B, Hout], dtype },
        cN: r.cN ? { data: r.cN, shape: [B, H], dtype } : undefined,
        workspace,
      };
    },

    adamStep,

    recurrentBackward(inputs, attrs, outputs, dy, dhN, dcN): RecurrentGrads {
      const ws = outputs.workspace;
      const dyData = dy.data as TypedArray;
      const dhData = dhN.data as TypedArray;
      const dcData = dcN?.data as TypedArray | undefined;
      let g: RecurrentBackwardResult;
      if (isBlockTensor(ws)) {
        const k = wasmKernels();
        if (!k) throw new Error('backend-js: a WebAssembly recurrent workspace reached backward without the kernels');
        g = wasmRecurrentBackward(k, inputs, attrs, ws.block, dyData, dhData, dcData, threads);
      } else if (ws.dtype === 'float64') {
        const layout = recurrentLayout(inputs, attrs);
        g = recurrentBackward(inputs, attrs, layout, (ws as { data: Float64Array }).data, dyData, dhData, dcData);
      } else {
        throw new Error('backend-js: recurrentBackward needs the workspace of a forward that saved one');
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
