export { BACKENDS } from './backends';
export { FIXTURES_DIR, fixturePath, REPO_ROOT, SHARED_FIXTURES_DIR } from './fixtures';
export type { OpCase } from './op-cases';
export { kernelsUsedBy, OP_CASES, type OpCaseResult, runOpCase } from './op-suite';
