import { RecurError } from '@recur/tensor';

/**
 * Every case ends one way: a clear recur error, a raw JavaScript error (or a recur error that
 * carries an engine message), an accepted file, an accepted file that breaks its format's rules,
 * or — seen from the parent — a crash or a hang.
 */
export type Outcome = 'clean' | 'raw' | 'accepted' | 'invalid' | 'crash' | 'hang';

/** Messages of the JavaScript engine, not of recur: they must never reach a user. */
export const ENGINE_MESSAGES = [
  /is not a function/,
  /Cannot read propert/,
  /Cannot set propert/,
  /Cannot convert/,
  /Invalid typed array length/,
  /Invalid array length/,
  /out of bounds/,
  /is not iterable/,
  /is not a constructor/,
  /is not defined/,
  /Maximum call stack/,
  /Array buffer allocation failed/,
  /undefined is not/,
  /null is not/,
  /Do not know how to serialize a BigInt/,
];

export function classify(e: unknown): { outcome: Outcome; message: string } {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const clean = e instanceof RecurError && e.code !== 'internal' && !ENGINE_MESSAGES.some((r) => r.test(e.message));
  if (clean) return { outcome: 'clean', message: message.slice(0, 300) };
  // Where it was thrown, so a raw error can be found and fixed.
  const at = (e instanceof Error ? (e.stack ?? '') : '')
    .split('\n')
    .filter((l) => l.trim().startsWith('at '))
    .slice(0, 2)
    .map((l) =>
      l
        .trim()
        .replace(/^at /, '')
        .replace(/.*\/(packages|apps)\//, ''),
    )
    .join(' < ');
  return { outcome: 'raw', message: `${message.slice(0, 300)}${at ? ` [${at}]` : ''}` };
}
