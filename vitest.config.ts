import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their sources, so a test run needs no build and a
// stack trace points at the .ts file. (The pack test checks the built packages separately.)
const alias: Record<string, string> = {};
for (const group of ['packages', 'apps']) {
  const dir = resolve(__dirname, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgFile = join(dir, name, 'package.json');
    const entry = join(dir, name, 'src', 'index.ts');
    if (existsSync(pkgFile) && existsSync(entry)) alias[JSON.parse(readFileSync(pkgFile, 'utf8')).name] = entry;
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
