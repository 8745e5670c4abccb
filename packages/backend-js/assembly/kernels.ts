// backend-js's WebAssembly SIMD kernels, in AssemblyScript (compiled by scripts/build-wasm.mjs).
//
// The host owns memory: every pointer is a byte offset into this module's memory that the
// TypeScript side chose, so the kernels allocate nothing. All values are float32.
//
// One entry, one concept per file: gemm.ts (matrix multiply), simd-math.ts (four-lane helpers,
// the multiply-add that relaxed SIMD fuses), recurrent.ts (the fused RNN / LSTM / GRU steps),
// recurrent-units.ts (a step split across threads by hidden units, for small batches),
// cross-entropy.ts (softmax cross-entropy rows for the fused Linear + loss kernel).
export { scaleRows, xentRows } from './cross-entropy';
export { gemm, gemmScratchSize, packB, packedSize } from './gemm';
export { gruUnits, lstmUnits, rnnUnits, unitsScratchSize } from './recurrent-units';
export { broadcastRows, colSums, gruBackRows, gruRows, lstmBackRows, lstmRows, rnnBackRows, rnnRows } from './recurrent';
