import type {
  BackendTensor,
  FusedKernels,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentOutputs,
  TypedArray,
} from '@recur/backend-api';
import { adamStep, adamSteps } from './kernels/adam';
import {
  linearCrossEntropyBackwardTs,
  linearCrossEntropyDims,
  linearCrossEntropyForward,
} from './kernels/linear-cross-entropy';
import { wasmLinearCrossEntropy, wasmLinearCrossEntropyBackward } from './kernels/linear-cross-entropy-wasm';
import { type RecurrentBackwardResult, recurrentBackward } from './kernels/recurrent-backward';
import { recurrentForward } from './kernels/recurrent-forward';
import { type RecurrentLayout, recurrentLayout } from './kernels/recurrent-layout';
import { wasmRecurrentBackward, wasmRecurrentForward, wasmRecurrentSupports } from './kernels/recurrent-wasm';
import { blockTensor, isBlockTensor } from './wasm/block-tensor';
import { type WasmKernels, wasmKernels } from './wasm/runtime';

/**
 * backend-js's fused kernels: Adam's update in one pass, the whole-sequence recurrent kernels
 * (forward and BPTT) and Linear + softmax cross-entropy (forward and backward): the WebAssembly
 * SIMD kernels for the float32 cases they cover when `useWasm` and the engine allow, else TypeScript.
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
    adamSteps,

    linearCrossEntropy(inputs, attrs) {
      const k = useWasm && inputs.x.dtype === 'float32' ? wasmKernels() : null;
      const N = linearCrossEntropyDims(inputs, attrs).N;
      if (k) {
        const r = wasmLinearCrossEntropy(k, inputs, attrs, threads);
        return {
          loss: { data: r.loss, shape: [N], dtype: 'float32' },
          workspace: r.workspace
            ? blockTensor(r.workspace)
            : { data: new Float32Array(0), shape: [0], dtype: 'float32' },
        };
      }
      const r = linearCrossEntropyForward(inputs, attrs);
      const dLogits = r.dLogits ?? new Float64Array(0);
      return {
        loss: { data: r.loss, shape: [N], dtype: inputs.x.dtype },
        workspace: { data: dLogits, shape: [dLogits.length], dtype: 'float64' },
      };
    },

    linearCrossEntropyBackward(inputs, attrs, workspace, dLoss) {
      const dL = dLoss.data as TypedArray;
      let g: { dx: TypedArray; dWeight: TypedArray; dBias?: TypedArray };
      if (isBlockTensor(workspace)) {
        const k = wasmKernels();
        if (!k) throw new Error('backend-js: a WebAssembly workspace reached backward without the kernels');
        g = wasmLinearCrossEntropyBackward(k, inputs, attrs, workspace.block, dL, threads);
      } else if (workspace.dtype === 'float64' && workspace.shape[0] > 0) {
        g = linearCrossEntropyBackwardTs(inputs, attrs, (workspace as { data: Float64Array }).data, dL);
      } else {
        throw new Error('backend-js: linearCrossEntropyBackward needs the workspace of a forward that saved one');
      }
      const dtype = inputs.x.dtype;
      return {
        dx: { data: g.dx, shape: [...inputs.x.shape], dtype },
        dWeight: { data: g.dWeight, shape: [...inputs.weight.shape], dtype },
        dBias: g.dBias && inputs.bias ? { data: g.dBias, shape: [...inputs.bias.shape], dtype } : undefined,
      };
    },

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
