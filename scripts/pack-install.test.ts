import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExample } from './readme-example';

/**
 * Every public package under packages/ installs on its own, as a user gets it: `pnpm pack`, then
 * plain `npm install` of the tarballs into a fresh project outside the workspace, then the
 * README's example runs as ESM and as CommonJS. New packages are covered without edits.
 */
const root = resolve(__dirname, '..');
const packagesDir = join(root, 'packages');
const publicPackages = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

const pnpm = join(root, 'node_modules', '.bin', 'pnpm');
let work = '';
const tarballPaths: Record<string, string> = {};
/** publint's and attw's reports per package, started as soon as its tarball exists (they run side by side). */
const lintReports: Record<string, Promise<[string, string]>> = {};
const runAsync = promisify(execFile);
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

describe('packages install from their tarballs', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'recur-pack-'));
    const tarballs: Record<string, string> = {};
    for (const { dir, pkg } of publicPackages) {
      if (!existsSync(join(dir, 'dist'))) throw new Error(`${pkg.name} is not built: run the build first (pnpm build)`);
      const out = execFileSync(pnpm, ['pack', '--pack-destination', work], { cwd: dir, encoding: 'utf8' });
      const file = out.trim().split('\n').pop() as string;
      tarballs[pkg.name] = `file:${resolve(dir, file)}`;
      tarballPaths[pkg.name] = resolve(dir, file);
      const tarball = tarballPaths[pkg.name];
      // Both exit non-zero on any problem; node10 resolution is out of scope (engines: node >= 20).
      lintReports[pkg.name] = Promise.all([
        runAsync(bin('publint'), [tarball, '--strict']).then((r) => r.stdout),
        runAsync(bin('attw'), [tarball, '--profile', 'node16', '--format', 'table-flipped']).then((r) => r.stdout),
      ]);
      lintReports[pkg.name].catch(() => {}); // awaited (and reported) by the package's test
    }
    // Packages a README example needs besides the package itself (a tfjs backend to run on).
    const extra = Object.assign({}, ...publicPackages.map(({ pkg }) => pkg.exampleDependencies ?? {}));
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify(
        { name: 'recur-pack-check', private: true, dependencies: { ...extra, ...tarballs }, overrides: tarballs },
        null,
        2,
      ),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds the packages', () => {
    expect(publicPackages.map((p) => p.pkg.name)).toContain('@recur/tensor');
  });

  for (const { pkg } of publicPackages) {
    it(`${pkg.name}: the tarball carries LICENSE and README, and publint and attw find nothing`, async () => {
      const tarball = tarballPaths[pkg.name];
      const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
      expect(files).toContain('package/LICENSE');
      expect(files).toContain('package/README.md');
      expect(pkg.engines?.node).toBe('>=20');
      expect(pkg.repository?.directory).toMatch(/^packages\//);
      expect(pkg.exports?.['./package.json']).toBe('./package.json');
      const [lint, types] = await lintReports[pkg.name];
      expect(lint).toContain('All good!');
      expect(types).not.toMatch(/❌|⚠️|🥴|🎭|🐛|❗️/u);
    });
  }

  for (const { dir, pkg } of publicPackages) {
    it(`${pkg.name}: the README example runs as ESM and as CommonJS with the same output`, () => {
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      const example = readmeExample(readme);
      expect(example, `${pkg.name}/README.md has no \`\`\`js example`).not.toBeNull();
      if (!example) return;
      const slug = pkg.name.replace(/[@/]/g, '_');
      writeFileSync(join(work, `${slug}.mjs`), example.esm);
      writeFileSync(join(work, `${slug}.cjs`), example.cjs);
      const run = (file: string) => execFileSync(process.execPath, [file], { cwd: work, encoding: 'utf8' });
      const esmOut = run(`${slug}.mjs`);
      const cjsOut = run(`${slug}.cjs`);
      console.log(`${pkg.name} README example:\n${esmOut}`);
      expect(esmOut.trim().length).toBeGreaterThan(0);
      expect(cjsOut).toBe(esmOut);
    });
  }
});
