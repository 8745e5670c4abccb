import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExamples, guideExamples } from './doc-examples';

/**
 * Every `@example` in the public packages' TSDoc, and every ```ts block of docs/guides, runs: each is
 * written to a module and imported here (the workspace packages resolve to their sources). A
 * `console.log(...)` line that ends in `// <output>` must print that output (compared without
 * spaces or quote styles; `…` ends a prefix match).
 */
const root = resolve(__dirname, '..');
const examples = [...docExamples(root), ...guideExamples(root)];
const dir = join(root, 'scripts', '.doc-examples');

const normalise = (s: string) => s.replace(/\s+/g, '').replace(/"/g, "'");

/** The outputs the example's comments promise, in order: `console.log(...); // promised`. */
function promised(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => /^\s*console\.log\(/.test(l) && /\/\/ (.+)$/.test(l))
    .map((l) => (l.match(/\/\/ (.+)$/) as RegExpMatchArray)[1]);
}

const fileOf = (e: (typeof examples)[number]) => join(dir, `${e.where.replace(/[^\w]+/g, '_')}.ts`);

describe('TSDoc examples', () => {
  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const e of examples) if (e.code !== null) writeFileSync(fileOf(e), `${e.code}\nexport {};\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every @example is a fenced ```ts block, and every guide has one to run', () => {
    for (const guide of ['from-keras.md', 'from-pytorch.md', 'from-tfjs.md', 'choosing-a-backend.md'])
      expect(
        examples.some((e) => e.where.startsWith(`docs/guides/${guide}:`)),
        guide,
      ).toBe(true);
    expect(examples.filter((e) => e.code === null).map((e) => `${e.where} (${e.symbol})`)).toEqual([]);
    expect(examples.length).toBeGreaterThan(30);
  });

  it('every example typechecks against the packages it imports', () => {
    // The workspace packages resolve to their sources, as in the tests.
    const tsconfig = {
      extends: '../../tsconfig.base.json',
      compilerOptions: {
        noEmit: true,
        declaration: false,
        sourceMap: false,
        lib: ['ES2022', 'DOM'],
        baseUrl: '../..',
        paths: { '@recur/*': ['packages/*/src/index.ts'] },
      },
      include: ['*.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? err);
    }
    // Only errors in the examples count (the packages are typechecked by their own builds).
    expect(
      out.split('\n').filter((l) => l.startsWith('scripts/.doc-examples') || l.includes('.doc-examples/')),
    ).toEqual([]);
  }, 180_000);

  it.each(examples.filter((e) => e.code !== null).map((e) => [`${e.symbol} (${e.where})`, e] as const))(
    '%s runs',
    async (_name, e) => {
      const file = fileOf(e);
      const logs: unknown[][] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => logs.push(args);
      try {
        await import(file);
      } finally {
        console.log = log;
      }
      const printed = logs.map((args) =>
        args.map((a) => (typeof a === 'string' ? `'${a}'` : inspect(a, { depth: 4 }))).join(' '),
      );
      const want = promised(e.code as string);
      for (const [i, w] of want.entries()) {
        const got = normalise(printed[i] ?? '(nothing printed)');
        const [head] = normalise(w).split('…');
        if (normalise(w).includes('…'))
          expect(got.startsWith(head), `${e.where}: line ${i + 1} printed ${printed[i]}`).toBe(true);
        else expect(got, `${e.where}: line ${i + 1}`).toBe(normalise(w));
      }
    },
    60_000,
  );
});
