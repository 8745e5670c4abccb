import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface DocExample {
  /** Where: the file and line of the @example tag. */
  where: string;
  /** The symbol documented (the declaration after the comment). */
  symbol: string;
  /** The code of the fenced block, or null when the example is not a fenced ```ts block. */
  code: string | null;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every `@example` in the TSDoc of the public packages' sources. */
export function docExamples(root: string): DocExample[] {
  const out: DocExample[] = [];
  const packages = join(root, 'packages');
  for (const pkg of readdirSync(packages)) {
    const manifest = join(packages, pkg, 'package.json');
    try {
      if (JSON.parse(readFileSync(manifest, 'utf8')).private) continue;
    } catch {
      continue;
    }
    for (const file of sources(join(packages, pkg, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /\/\*\*([\s\S]*?)\*\/\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|function\*?|const|interface|type)?\s*([A-Za-z_$][\w$]*)?/g,
      )) {
        const body = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
        const at = body.findIndex((l) => l.trim().startsWith('@example'));
        if (at < 0) continue;
        const line = text.slice(0, m.index).split('\n').length + at;
        const rest = body.slice(at + 1);
        const open = rest.findIndex((l) => /^```(ts|js|typescript)\s*$/.test(l.trim()));
        const close = open >= 0 ? rest.findIndex((l, i) => i > open && l.trim() === '```') : -1;
        const before = rest.slice(0, open >= 0 ? open : rest.length);
        // The example must start with its code block (a sentence before it is fine).
        const fenced = open >= 0 && close > open && !before.some((l) => l.trim().startsWith('@'));
        out.push({
          where: `${relative(root, file)}:${line}`,
          symbol: m[2] ?? '?',
          code: fenced ? rest.slice(open + 1, close).join('\n') : null,
        });
      }
    }
  }
  return out;
}

/** Every ```ts block of the guides in docs/guides (the other languages' blocks are for comparison). */
export function guideExamples(root: string): DocExample[] {
  const dir = join(root, 'docs', 'guides');
  const out: DocExample[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.md'))) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (l.trim() !== '```ts') return;
      const end = lines.findIndex((m, j) => j > i && m.trim() === '```');
      out.push({ where: `docs/guides/${name}:${i + 1}`, symbol: name, code: lines.slice(i + 1, end).join('\n') });
    });
  }
  return out;
}
