import type {
  BackendTensor,
  FusedKernels,
  RecurrentAttrs,
  RecurrentInputs,
  RecurrentOutputs,
  TypedArray,
} from '@recur/backend-api';
import { type RecurrentBackwardResult, recurrentBackward } from '../kernels/recurrent-backward';
import { recurrentForward } from '../kernels/recurrent-forward';
import { packRows, type RecurrentSchedule, recurrentSchedule, unpackRows } from '../kernels/recurrent-schedule';
import { wasmRecurrentBackward, wasmRecurrentForward, wasmRecurrentSupports } from '../kernels/recurrent-wasm';
import { blockTensor, isBlockTensor } from '../wasm/block-tensor';
import { wasmKernels } from '../wasm/loader';
import type { WasmKernels } from '../wasm/runtime';

/**
 * The whole-sequence recurrent kernels (forward and BPTT) of backend-js: the WebAssembly SIMD
 * kernels for the float32 cases they cover, else TypeScript. The workspace records which kernel
 * made it, so backward always matches forward: the SIMD kernel's stays in wasm memory (a block
 * tensor), the TypeScript kernel's is float64. Packed input (attrs.packedInput) goes straight
 * into the SIMD kernels; the TypeScript kernels take it padded, unpacked and repacked here.
 */
export function recurrentKernels(
  useWasm: boolean,
  threads: number,
): Pick<FusedKernels, 'recurrent' | 'recurrentBackward'> {
  const simd = (inputs: RecurrentInputs, attrs: RecurrentAttrs): WasmKernels | null =>
    useWasm && wasmRecurrentSupports(attrs, inputs.x.dtype) ? wasmKernels() : null;

  return {
    recurrent(inputs, attrs): RecurrentOutputs {
      const k = simd(inputs, attrs);
      const dtype = inputs.x.dtype;
      let r: { y: TypedArray; hN: TypedArray; cN?: TypedArray; layout: RecurrentSchedule };
      let workspace: BackendTensor;
      if (k) {
        const w = wasmRecurrentForward(k, inputs, attrs, threads);
        r = w;
        workspace = w.workspace
          ? blockTensor(w.workspace)
          : { data: new Float32Array(0), shape: [0], dtype: 'float32' };
      } else {
        const padded = paddedForm(inputs, attrs);
        const t = recurrentForward(padded.inputs, padded.attrs);
        r = { ...t, y: padded.layout ? packRows(t.y, padded.layout, t.layout.Hout) : t.y };
        workspace = { data: t.workspace, shape: [t.layout.T, t.layout.B, t.layout.wsWidth], dtype: 'float64' };
      }
      const { B, T, H, Hout } = r.layout;
      const yShape = attrs.packedInput ? [inputs.x.shape[0], Hout] : [B, T, Hout];
      return {
        y: { data: r.y, shape: yShape, dtype },
        hN: { data: r.hN, shape: [B, Hout], dtype },
        cN: r.cN ? { data: r.cN, shape: [B, H], dtype } : undefined,
        workspace,
      };
    },

    recurrentBackward(inputs, attrs, outputs, dy, dhN, dcN) {
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
        const padded = paddedForm(inputs, attrs);
        const L = recurrentSchedule(padded.inputs, padded.attrs);
        const dyPadded = padded.layout ? unpackRows(dyData, padded.layout, L.Hout) : dyData;
        const wsData = (ws as { data: Float64Array }).data;
        g = recurrentBackward(padded.inputs, padded.attrs, L, wsData, dyPadded, dhData, dcData);
        if (padded.layout) g = { ...g, dx: packRows(g.dx, padded.layout, L.I) };
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

/** Packed inputs as the padded batch the TypeScript kernels take; `layout` is the packing (null when not packed). */
function paddedForm(
  inputs: RecurrentInputs,
  attrs: RecurrentAttrs,
): { inputs: RecurrentInputs; attrs: RecurrentAttrs; layout: RecurrentSchedule | null } {
  if (!attrs.packedInput) return { inputs, attrs, layout: null };
  const layout = recurrentSchedule(inputs, attrs);
  const x = unpackRows(inputs.x.data as TypedArray, layout, layout.I);
  return {
    inputs: {
      ...inputs,
      x: { data: x, shape: [layout.B, layout.T, layout.I], dtype: inputs.x.dtype } as BackendTensor,
    },
    attrs: { ...attrs, packedInput: false },
    layout,
  };
}
