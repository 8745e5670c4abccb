import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures';
import { supportTable } from './support-table';

describe('docs/backends.md', () => {
  it('is the table the code generates (run pnpm backends-table after changing a backend)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs', 'backends.md'), 'utf8')).toBe(supportTable());
  });
});
