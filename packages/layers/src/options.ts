import { ConfigError } from '@recur/tensor';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length];
}

/** snake_case → camelCase (`return_sequences` → `returnSequences`). */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** camelCase → snake_case (`returnSequences` → `return_sequences`). */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The known key a mistyped one most likely meant, or undefined. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const camel = camelCase(key);
  if (known.includes(camel)) return camel;
  const lower = key.toLowerCase().replace(/_/g, '');
  const byCase = known.find((k) => k.toLowerCase() === lower);
  if (byCase) return byCase;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(camel.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Refuses option keys a layer does not know, naming the layer, the key and the nearest known key:
 * a Keras spelling such as `return_sequences` must not be silently ignored.
 */
export function checkOptions(owner: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(
      `${owner}: options should be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    throw new ConfigError(`${owner}: unknown option '${key}'${near ? `; did you mean ${near}?` : ''}`);
  }
}
