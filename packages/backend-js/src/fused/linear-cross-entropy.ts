import type { FusedKernels, TypedArray } from '@recur/backend-api';
import {
  linearCrossEntropyBackwardTs,
  linearCrossEntropyDims,
  linearCrossEntropyForward,
} from '../kernels/linear-cross-entropy';
import { wasmLinearCrossEntropy, wasmLinearCrossEntropyBackward } from '../kernels/linear-cross-entropy-wasm';
import { blockTensor, isBlockTensor } from '../wasm/block-tensor';
import { wasmKernels } from '../wasm/loader';

/**
 * Linear + softmax cross-entropy of backend-js: the SIMD kernel for float32 (its workspace in
 * wasm memory), TypeScript for float64 or without WebAssembly (a float64 workspace).
 */
export function linearCrossEntropyKernels(
  useWasm: boolean,
  threads: number,
): Pick<FusedKernels, 'linearCrossEntropy' | 'linearCrossEntropyBackward'> {
  return {
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
  };
}
