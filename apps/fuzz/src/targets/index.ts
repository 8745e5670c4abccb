import type { FuzzTarget } from '../target';
import { kerasFilesTarget, tfjsTarget } from './keras';
import { onnxTarget } from './onnx';
import { safetensorsTarget } from './safetensors';
import { selftestTarget } from './selftest';

export const TARGETS: Record<string, FuzzTarget> = {
  onnx: onnxTarget,
  safetensors: safetensorsTarget,
  tfjs: tfjsTarget,
  keras: kerasFilesTarget,
  /** Misbehaves on purpose (the harness's own test); not in the default run. */
  selftest: selftestTarget,
};
