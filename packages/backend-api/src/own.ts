/**
 * `table[key]` for a key that came from a user or a file: only the table's own entries, so names
 * such as 'constructor' or '__proto__' find nothing instead of Object.prototype's members.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}
