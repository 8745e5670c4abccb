import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, GENERATED_FIXTURE_DIRS, SHARED_FIXTURES_DIR } from './fixtures';

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

  const generated = (f: string) => GENERATED_FIXTURE_DIRS.some((d) => f.startsWith(d));

  it('generated folders name their generator and reference', () => {
    for (const dir of GENERATED_FIXTURE_DIRS) {
      const readme = readFileSync(join(FIXTURES_DIR, dir, 'README.md'), 'utf8');
      expect(readme).toMatch(/tools\/[\w/-]+\.(py|mjs|ts)/);
    }
  });

  it.runIf(existsSync(SHARED_FIXTURES_DIR))('are byte-for-byte copies of ../shared/fixtures', () => {
    const differing = files
      .filter((f) => !generated(f))
      .filter((f) => {
        const original = join(SHARED_FIXTURES_DIR, f);
        return !existsSync(original) || !readFileSync(original).equals(readFileSync(join(FIXTURES_DIR, f)));
      });
    expect(differing).toEqual([]);
  });
});
