import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, SHARED_FIXTURES_DIR } from './fixtures';

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('vendored fixtures', () => {
  const files = listFiles(FIXTURES_DIR).map((f) => relative(FIXTURES_DIR, f));

  it('include the README that documents their format', () => {
    expect(files).toContain('README.md');
  });

  it.runIf(existsSync(SHARED_FIXTURES_DIR))('are byte-for-byte copies of ../shared/fixtures', () => {
    const differing = files.filter((f) => {
      const original = join(SHARED_FIXTURES_DIR, f);
      return !existsSync(original) || !readFileSync(original).equals(readFileSync(join(FIXTURES_DIR, f)));
    });
    expect(differing).toEqual([]);
  });
});
