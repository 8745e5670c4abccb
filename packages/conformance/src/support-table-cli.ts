import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures';
import { supportTable } from './support-table';

writeFileSync(join(REPO_ROOT, 'docs', 'backends.md'), supportTable());
console.log('wrote docs/backends.md');
