import { type Chooser, INTERESTING_INTS } from './random';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const STRINGS = [
  '',
  'x',
  '../../../../etc/os-release',
  '/etc/passwd',
  '__proto__',
  'constructor',
  'NaN',
  'é'.repeat(3),
  'A'.repeat(5000),
];

function replacement(c: Chooser, old: Json): Json {
  switch (c.int(6)) {
    case 0:
      return c.pick(INTERESTING_INTS);
    case 1:
      return c.pick([null, true, false, 1.5, -0.5, 1e308]);
    case 2:
      return c.pick(STRINGS);
    case 3:
      return c.pick<Json>([[], {}, [old], [-1], [0, 0], { a: old }]);
    case 4:
      return typeof old === 'number' ? c.pick([old + 1, old - 1, -old, old * 1000]) : c.pick(INTERESTING_INTS);
    default:
      return Array.isArray(old) ? old.slice(0, c.int(old.length + 1)) : null;
  }
}

/** Every place in the tree a value lives: its parent and key. */
function places(v: Json, out: [Json[] | Record<string, Json>, string | number][] = [], depth = 0): typeof out {
  if (depth > 40 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([v, i]);
      places(x, out, depth + 1);
    });
  } else {
    for (const k of Object.keys(v)) {
      out.push([v, k]);
      places(v[k], out, depth + 1);
    }
  }
  return out;
}

/** Structure-aware JSON mutations: a value replaced, a key deleted, an element duplicated or dropped. */
export function mutateJson(c: Chooser, value: unknown): unknown {
  const root = structuredClone(value) as Json;
  const all = places(root);
  if (all.length === 0) return replacement(c, root);
  for (let k = 1 + c.int(3); k > 0; k--) {
    const [parent, key] = c.pick(all);
    const action = c.int(4);
    if (Array.isArray(parent)) {
      const i = key as number;
      if (action === 0) parent.splice(i, 1);
      else if (action === 1) parent.splice(i, 0, structuredClone(parent[i] ?? null));
      else parent[i] = replacement(c, parent[i] ?? null);
    } else {
      const obj = parent as Record<string, Json>;
      if (action === 0) delete obj[key as string];
      else obj[key as string] = replacement(c, obj[key as string] ?? null);
    }
  }
  return root;
}
