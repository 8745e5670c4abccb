import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (three levels above this file in src/ and in dist/ alike). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** The vendored copy of the reference fixtures, which the tests read. */
export const FIXTURES_DIR = join(REPO_ROOT, 'fixtures');

/** The shared originals beside the checkout, when present (a developer's machine, CI). */
export const SHARED_FIXTURES_DIR = join(REPO_ROOT, '..', 'shared', 'fixtures');

/** Path of a fixture inside the vendored folder, e.g. `fixturePath('torch/lstm_1l.json')`. */
export function fixturePath(relative: string): string {
  const path = join(FIXTURES_DIR, relative);
  if (!existsSync(path)) throw new Error(`fixture ${relative} is not vendored in ${FIXTURES_DIR}`);
  return path;
}

/**
 * Fixture folders recur's own tools write (not copies of ../shared): each has a README naming the
 * generating script under tools/ and the reference it takes its numbers from.
 */
export const GENERATED_FIXTURE_DIRS = ['onnx-node-ops/', 'torch-1.13/'];
