export { BACKENDS, backendNamed } from './backends';
export { type Comparison, compareTensor, type FixtureTensor, loadTensor } from './fixture-tensor';
export { FIXTURES_DIR, fixturePath, REPO_ROOT, SHARED_FIXTURES_DIR } from './fixtures';
export { type FixtureFormat, FORMATS, formatOf } from './formats';
export { buildTorchLayer, type CaseOptions, isLayerCase, type LayerCase, runLayerCase } from './layer-case';
export type { OpCase } from './op-cases';
export { kernelsUsedBy, OP_CASES, type OpCaseResult, runOpCase } from './op-suite';
export { isPackedCase, type PackedCase, runPackedCase } from './packed-case';
export { type FileReport, formatReports, listFixtureFiles, runFixtures } from './runner';
