import { FormatError, ValueError } from '@recur/tensor';
import { charTokenizer, joinerFor, type Tokenizer, wordTokenizer } from './tokenizers';

/** The special tokens' spellings; null leaves one out. */
export interface SpecialTokens {
  /** Padding, id 0 when present (default '<pad>'). */
  pad?: string | null;
  /** What unknown tokens encode to (default '<unk>'). */
  unk?: string | null;
  /** Beginning of sequence (default '<bos>'). */
  bos?: string | null;
  /** End of sequence (default '<eos>'). */
  eos?: string | null;
}

/** How `Vocab.build` tokenizes and which tokens it keeps. */
export interface VocabOptions {
  /** 'char' (default), 'word', or your own function. */
  tokenizer?: 'char' | 'word' | Tokenizer;
  /** Lowercase before the word tokenizer. */
  lowercase?: boolean;
  /** Special tokens, placed first in this order; null leaves one out. Defaults: <pad>, <unk>, <bos>, <eos>. */
  specials?: SpecialTokens;
  /** Tokens seen fewer times are left out (they encode to <unk>). */
  minFreq?: number;
  /** At most this many tokens in all, specials included. */
  maxSize?: number;
}

const DEFAULT_SPECIALS = { pad: '<pad>', unk: '<unk>', bos: '<bos>', eos: '<eos>' } as const;
/** The version `toJSON` writes; `fromJSON` reads it and earlier ones. */
export const VOCAB_FORMAT_VERSION = 1;

/** A vocabulary as JSON (`toJSON` / `fromJSON`, and inside checkpoints). */
export interface VocabJSON {
  /** Always 'recur-vocab'. */
  format: 'recur-vocab';
  /** VOCAB_FORMAT_VERSION when written. */
  version: number;
  /** The tokenizer it was built with ('custom': a function, given again on load). */
  tokenizer: 'char' | 'word' | 'custom';
  /** Whether text is lowercased before the word tokenizer. */
  lowercase: boolean;
  /** The special tokens' spellings (null: left out). */
  specials: Record<keyof SpecialTokens, string | null>;
  /** Every token, in id order. */
  tokens: string[];
}

/** Counts tokens as text arrives, so a corpus never has to be held whole. */
export class TokenCounter {
  /** How often each token was seen so far. */
  readonly counts = new Map<string, number>();
  private carry = '';

  constructor(
    private readonly tokenize: Tokenizer,
    private readonly kind: 'char' | 'word' | 'custom',
  ) {}

  /** Adds one document (or one chunk of a stream, with `partial` when the next chunk continues it). */
  add(text: string, partial = false): void {
    let body = this.carry + text;
    this.carry = '';
    if (partial && this.kind !== 'char') {
      // A word may continue in the next chunk: hold back the text after the last whitespace.
      const cut = Math.max(body.lastIndexOf(' '), body.lastIndexOf('\n'), body.lastIndexOf('\t'));
      this.carry = body.slice(cut + 1);
      body = body.slice(0, cut + 1);
    }
    for (const t of this.tokenize(body)) this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
  }

  /** Counts what is left of the last chunk; call once after the last `add`. */
  finish(): void {
    if (this.carry) this.add('', false);
  }
}

/**
 * A vocabulary: token ↔ id, specials first (<pad> = 0 by default), then tokens by frequency,
 * ties broken by code-point order so the same corpus always gives the same ids.
 *
 * @example
 * ```ts
 * import { Vocab } from '@recur/data';
 * const vocab = Vocab.build(['the cat sat', 'the dog sat'], { tokenizer: 'word' });
 * const ids = vocab.encode('the cat ran'); // unknown words → <unk>
 * console.log(vocab.size, ids, vocab.decode(ids)); // 8 [5, 6, 1] 'the cat <unk>'
 * const again = Vocab.fromJSON(JSON.stringify(vocab.toJSON())); // saved with a model
 * console.log(again.encode('dog sat')); // [7, 4]
 * ```
 */
export class Vocab {
  /** Every token, in id order. */
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;
  /** The tokenizer it was built with. */
  readonly tokenizerKind: 'char' | 'word' | 'custom';
  /** Whether text is lowercased before the word tokenizer. */
  readonly lowercase: boolean;
  /** The special tokens' spellings (null: left out). */
  readonly specials: Record<keyof SpecialTokens, string | null>;
  private readonly tokenize: Tokenizer;

  private constructor(
    tokens: string[],
    kind: 'char' | 'word' | 'custom',
    lowercase: boolean,
    specials: Record<keyof SpecialTokens, string | null>,
    tokenize: Tokenizer,
  ) {
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i]));
    if (this.index.size !== tokens.length) throw new ValueError('Vocab: duplicate tokens');
    this.tokenizerKind = kind;
    this.lowercase = lowercase;
    this.specials = specials;
    this.tokenize = tokenize;
  }

  private static resolve(options: VocabOptions): {
    kind: 'char' | 'word' | 'custom';
    tokenize: Tokenizer;
    specials: Record<keyof SpecialTokens, string | null>;
  } {
    const t = options.tokenizer ?? 'char';
    const kind = typeof t === 'function' ? 'custom' : t;
    const tokenize =
      typeof t === 'function' ? t : t === 'char' ? charTokenizer : wordTokenizer({ lowercase: options.lowercase });
    const specials = { ...DEFAULT_SPECIALS, ...(options.specials ?? {}) } as Record<keyof SpecialTokens, string | null>;
    return { kind, tokenize, specials };
  }

  /** Builds from counted tokens; see VocabOptions. */
  static fromCounts(counts: Map<string, number>, options: VocabOptions = {}): Vocab {
    const { kind, tokenize, specials } = Vocab.resolve(options);
    const head = (['pad', 'unk', 'bos', 'eos'] as const).map((k) => specials[k]).filter((s): s is string => !!s);
    const minFreq = options.minFreq ?? 1;
    const rest = [...counts.entries()]
      .filter(([t, n]) => n >= minFreq && !head.includes(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const tokens = [...head, ...rest].slice(0, options.maxSize ?? Number.POSITIVE_INFINITY);
    return new Vocab(tokens, kind, options.lowercase ?? false, specials, tokenize);
  }

  /** Builds from documents held in memory. */
  static build(texts: Iterable<string>, options: VocabOptions = {}): Vocab {
    const { kind, tokenize } = Vocab.resolve(options);
    const counter = new TokenCounter(tokenize, kind);
    for (const text of texts) counter.add(text);
    return Vocab.fromCounts(counter.counts, options);
  }

  /**
   * Builds from a stream of text chunks (e.g. `fs.createReadStream(path, 'utf8')`), holding only
   * the counts and one chunk at a time.
   */
  static async fromStream(chunks: AsyncIterable<string | Uint8Array>, options: VocabOptions = {}): Promise<Vocab> {
    const { kind, tokenize } = Vocab.resolve(options);
    const counter = new TokenCounter(tokenize, kind);
    const decoder = new TextDecoder();
    for await (const chunk of chunks) {
      counter.add(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), true);
    }
    counter.add(decoder.decode(), false);
    counter.finish();
    return Vocab.fromCounts(counter.counts, options);
  }

  /** The number of tokens, specials included (the embedding's input size). */
  get size(): number {
    return this.tokens.length;
  }

  /** The padding id (0), or an error when the vocabulary has no padding token. */
  get padId(): number {
    return this.idOfSpecial('pad');
  }

  /** The unknown-token id, or an error when there is none. */
  get unkId(): number {
    return this.idOfSpecial('unk');
  }

  /** The beginning-of-sequence id, or an error when there is none. */
  get bosId(): number {
    return this.idOfSpecial('bos');
  }

  /** The end-of-sequence id, or an error when there is none. */
  get eosId(): number {
    return this.idOfSpecial('eos');
  }

  private idOfSpecial(k: keyof SpecialTokens): number {
    const s = this.specials[k];
    return s ? (this.index.get(s) ?? -1) : -1;
  }

  /** The id of a token; unknown tokens get <unk> (an error when the vocabulary has none). */
  idOf(token: string): number {
    const id = this.index.get(token);
    if (id !== undefined) return id;
    if (this.unkId >= 0) return this.unkId;
    throw new ValueError(`Vocab: token ${JSON.stringify(token)} is not in the vocabulary and there is no <unk>`);
  }

  /** The token with this id (an error for an id out of range). */
  tokenOf(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new ValueError(`Vocab: id ${id} is outside 0..${this.size - 1}`);
    return t;
  }

  /** Whether the token is in the vocabulary. */
  has(token: string): boolean {
    return this.index.has(token);
  }

  /** Token ids of a text; with `bos` / `eos`, the markers are added around it. */
  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids = this.tokenize(text).map((t) => this.idOf(t));
    if (options.bos) ids.unshift(this.bosId);
    if (options.eos) ids.push(this.eosId);
    return ids;
  }

  /** Text from ids; `skipSpecial` drops <pad>, <bos>, <eos> (not <unk>). */
  decode(ids: Iterable<number>, options: { skipSpecial?: boolean } = {}): string {
    const skip = new Set(options.skipSpecial ? [this.padId, this.bosId, this.eosId].filter((i) => i >= 0) : []);
    const out: string[] = [];
    for (const id of ids) if (!skip.has(id)) out.push(this.tokenOf(id));
    return out.join(joinerFor(this.tokenizerKind));
  }

  /** The vocabulary as JSON (see VocabJSON). */
  toJSON(): VocabJSON {
    return {
      format: 'recur-vocab',
      version: VOCAB_FORMAT_VERSION,
      tokenizer: this.tokenizerKind,
      lowercase: this.lowercase,
      specials: this.specials,
      tokens: [...this.tokens],
    };
  }

  /**
   * Restores a vocabulary saved by toJSON. A custom tokenizer is not serialisable: pass it again
   * as `tokenizer`.
   */
  static fromJSON(json: VocabJSON | string, options: { tokenizer?: Tokenizer } = {}): Vocab {
    const j = (typeof json === 'string' ? JSON.parse(json) : json) as VocabJSON;
    if (j?.format !== 'recur-vocab')
      throw new FormatError(`Vocab.fromJSON: not a recur vocabulary (format ${JSON.stringify(j?.format)})`);
    if (j.version > VOCAB_FORMAT_VERSION) {
      throw new FormatError(
        `Vocab.fromJSON: format version ${j.version} is newer than this library's ${VOCAB_FORMAT_VERSION}`,
      );
    }
    if (!Array.isArray(j.tokens)) throw new FormatError('Vocab.fromJSON: missing token list');
    let tokenize: Tokenizer;
    if (j.tokenizer === 'custom') {
      if (!options.tokenizer)
        throw new FormatError('Vocab.fromJSON: this vocabulary used a custom tokenizer; pass it as options.tokenizer');
      tokenize = options.tokenizer;
    } else {
      tokenize = j.tokenizer === 'char' ? charTokenizer : wordTokenizer({ lowercase: j.lowercase });
    }
    return new Vocab(j.tokens, j.tokenizer, j.lowercase, j.specials, tokenize);
  }
}
