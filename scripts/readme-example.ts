/**
 * Pulls the first ```js block out of a package README and turns it into an ES module and a
 * CommonJS script, so the pack test can run the same example both ways.
 */
export function readmeExample(readme: string): { esm: string; cjs: string } | null {
  const match = /```js\n([\s\S]*?)```/.exec(readme);
  if (!match) return null;
  const esm = match[1];
  let cjs = esm.replace(
    /^import\s*\{([^}]*)\}\s*from\s*'([^']+)';?$/gm,
    (_, names: string, from: string) => `const {${names.replace(/\s+as\s+/g, ': ')}} = require('${from}');`,
  );
  cjs = cjs.replace(/^import\s+\*\s+as\s+(\w+)\s+from\s*'([^']+)';?$/gm, "const $1 = require('$2');");
  cjs = cjs.replace(/^import\s+'([^']+)';?$/gm, "require('$1');");
  if (/^import\s/m.test(cjs)) throw new Error('readme example: an import form the CommonJS rewrite does not handle');
  if (/\bawait\b/.test(cjs))
    cjs = `(async () => {\n${cjs}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
  return { esm, cjs };
}
