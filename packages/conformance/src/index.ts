export { BACKENDS } from './backends';
export type { OpCase } from './op-cases';
export { kernelsUsedBy, OP_CASES, type OpCaseResult, runOpCase } from './op-suite';
