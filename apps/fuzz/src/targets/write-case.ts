import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Seed } from '../target';

/** Writes a case's files into a fresh folder `dir/case`; returns the main file's path. */
export function writeCase(dir: string, kase: Seed): string {
  const folder = join(dir, 'case');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const [name, bytes] of Object.entries(kase.files)) writeFileSync(join(folder, name), bytes);
  return join(folder, kase.main);
}
