import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their sources, so a test run needs no build and a
// stack trace points at the .ts file. (The pack test checks the built packages separately.)
// Subpath exports ("./node") map to src/<subpath>/index.ts.
const alias: { find: RegExp; replacement: string }[] = [];
for (const group of ['packages', 'apps']) {
  const dir = resolve(__dirname, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile) || !existsSync(join(dir, name, 'src', 'index.ts'))) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    for (const sub of Object.keys(pkg.exports ?? { '.': null })) {
      const rest = sub.replace(/^\.\/?/, '');
      const entry = join(dir, name, 'src', rest, 'index.ts');
      const spec = rest ? `${pkg.name}/${rest}` : pkg.name;
      if (existsSync(entry)) alias.push({ find: new RegExp(`^${spec.replace(/[/.]/g, '\\$&')}$`), replacement: entry });
    }
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
