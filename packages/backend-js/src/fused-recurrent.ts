import type {
  FusedKernels,
  RecurrentAttrs,
  RecurrentGrads,
  RecurrentInputs,
  RecurrentOutputs,
  TypedArray,
} from '@recur/backend-api';
import { recurrentBackward } from './kernels/recurrent-backward';
import { recurrentForward } from './kernels/recurrent-forward';
import { recurrentLayout } from './kernels/recurrent-layout';

/** backend-js's fused whole-sequence recurrent kernels (forward and BPTT). */
export const jsFusedKernels: FusedKernels = {
  recurrent(inputs: RecurrentInputs, attrs: RecurrentAttrs): RecurrentOutputs {
    const r = recurrentForward(inputs, attrs);
    const { B, T, H, Hout, wsWidth } = r.layout;
    const dtype = inputs.x.dtype;
    return {
      y: { data: r.y, shape: [B, T, Hout], dtype },
      hN: { data: r.hN, shape: [B, Hout], dtype },
      cN: r.cN ? { data: r.cN, shape: [B, H], dtype } : undefined,
      workspace: { data: r.workspace, shape: [T, B, wsWidth], dtype: 'float64' },
    };
  },

  recurrentBackward(inputs, attrs, outputs, dy, dhN, dcN): RecurrentGrads {
    const layout = recurrentLayout(inputs, attrs);
    const g = recurrentBackward(
      inputs,
      attrs,
      layout,
      outputs.workspace.data as Float64Array,
      dy.data as TypedArray,
      dhN.data as TypedArray,
      dcN?.data as TypedArray | undefined,
    );
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
