import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's vendored fixtures folder. */
export const FIXTURES = resolve(import.meta.dirname ?? __dirname, '../../../fixtures');

export function readFixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, ...parts)));
}

export function listFixtures(folder: string, test: (name: string) => boolean): string[] {
  const dir = join(FIXTURES, folder);
  return existsSync(dir) ? readdirSync(dir).filter(test).sort() : [];
}
