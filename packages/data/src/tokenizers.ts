/** Splits text into tokens. Any function of this shape plugs into a Vocab. */
export type Tokenizer = (text: string) => string[];

/** One token per Unicode code point (surrogate pairs stay whole). */
export const charTokenizer: Tokenizer = (text) => Array.from(text);

/**
 * A plain word splitter: runs of letters, digits and underscores are words, every other
 * non-space character is a token of its own; optionally lowercased.
 */
export function wordTokenizer(options: { lowercase?: boolean } = {}): Tokenizer {
  const lower = options.lowercase ?? false;
  return (text) => (lower ? text.toLowerCase() : text).match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

/** How decode() joins tokens back: nothing between characters, one space between words. */
export function joinerFor(kind: 'char' | 'word' | 'custom'): string {
  return kind === 'char' ? '' : ' ';
}
