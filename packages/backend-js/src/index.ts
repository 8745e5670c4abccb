export { JsBackend, type JsBackendOptions, type JsTensor } from './js-backend';
export { gemm, type StridedMatrix } from './kernels/gemm';
export { stridedCopy } from './strided-copy';
export {
  type WasmVariant,
  wasmAvailable,
  wasmMemory,
  wasmReady,
  wasmVariant,
  wasmVariantsAvailable,
} from './wasm/loader';
