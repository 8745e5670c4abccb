import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The direction of imports docs/architecture.md draws: a package's sources import only the
 * @recur packages it declares (dependencies or peers; tests may also use dev dependencies), and
 * the declared graph has no cycle.
 */
const root = resolve(__dirname, '..');
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) ? [p] : [];
  });
}

/** The @recur packages a file imports: its import / export … from lines and its import() calls. */
const recurImports = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => [
      ...line.matchAll(/^(?:import|export|\}).* from '(@recur\/[a-z-]+)(?:\/[a-z-]+)?'/g),
      ...line.matchAll(/import\(\s*'(@recur\/[a-z-]+)(?:\/[a-z-]+)?'\s*\)/g),
    ])
    .filter((m) => !/^\s*(\*|\/\/)/.test(m.input ?? ''))
    .map((m) => m[1]);

describe('imports follow the declared direction', () => {
  for (const { dir, pkg } of packages) {
    it(`${pkg.name} imports only what it declares`, () => {
      const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
      const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
      const wrong: string[] = [];
      for (const file of sources(join(dir, 'src'))) {
        const isTest = /\.test\.ts$|[/\\]testing[/\\]/.test(file);
        for (const spec of recurImports(file)) {
          if (spec === pkg.name || declared.has(spec) || (isTest && dev.has(spec))) continue;
          wrong.push(`${file.slice(root.length + 1)} imports ${spec}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('the packages form no cycle', () => {
    const deps = new Map(
      packages.map(({ pkg }) => [
        pkg.name as string,
        Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter((d) => d.startsWith('@recur/')),
      ]),
    );
    const state = new Map<string, 'visiting' | 'done'>();
    const cycle: string[] = [];
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done' || cycle.length) return;
      if (state.get(name) === 'visiting') {
        cycle.push(...path.slice(path.indexOf(name)), name);
        return;
      }
      state.set(name, 'visiting');
      for (const d of deps.get(name) ?? []) visit(d, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of deps.keys()) visit(name, []);
    expect(cycle).toEqual([]);
  });
});
