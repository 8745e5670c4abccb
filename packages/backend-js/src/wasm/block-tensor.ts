import type { BackendTensor } from '@recur/backend-api';
import type { WasmBlock } from './runtime';

/**
 * A backend-js tensor whose values stay in the WebAssembly kernels' memory (a retained block): a
 * fused kernel's workspace, written by the forward and read in place by the backward. Disposing
 * the tensor releases the block. `data` is a copy, for inspection only.
 */
export interface WasmBlockTensor extends BackendTensor {
  readonly block: WasmBlock;
  readonly data: Float32Array;
}

export function blockTensor(block: WasmBlock): WasmBlockTensor {
  return {
    block,
    shape: [block.floats],
    dtype: 'float32',
    get data() {
      return block.copy();
    },
  };
}

export function isBlockTensor(x: BackendTensor): x is WasmBlockTensor {
  return (x as Partial<WasmBlockTensor>).block !== undefined;
}
