/** How `pnpm fuzz` (and CI) shares its default 1,000 cases among the targets. */
export const DEFAULT_SLICE: Record<string, number> = { onnx: 500, safetensors: 300, tfjs: 120, keras: 80 };
