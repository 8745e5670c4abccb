import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { docExamples } from './doc-examples';

/**
 * Every `@example` in the public packages' TSDoc is a fenced ```ts block that runs: each is
 * written to a module and imported here (the workspace packages resolve to their sources). A
 * `console.log(...)` line that ends in `// <output>` must print that output (compared without
 * spaces or quote styles; `…` ends a prefix match).
 */
const root = resolve(__dirname, '..');
const examples = docExamples(root);
const dir = join(root, 'scripts', '.doc-examples');

const normalise = (s: string) => s.replace(/\s+/g, '').replace(/"/g, "'");

/** The outputs the example's comments promise, in order: `console.log(...); // promised`. */
function promised(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => /^\s*console\.log\(/.test(l) && /\/\/ (.+)$/.test(l))
    .map((l) => (l.match(/\/\/ (.+)$/) as RegExpMatchArray)[1]);
}

describe('TSDoc examples', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every @example is a fenced ```ts block', () => {
    expect(examples.filter((e) => e.code === null).map((e) => `${e.where} (${e.symbol})`)).toEqual([]);
    expect(examples.length).toBeGreaterThan(30);
  });

  it.each(examples.filter((e) => e.code !== null).map((e) => [`${e.symbol} (${e.where})`, e] as const))(
    '%s runs',
    async (_name, e) => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${e.where.replace(/[^\w]+/g, '_')}.ts`);
      writeFileSync(file, `${e.code}\nexport {};\n`);
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
