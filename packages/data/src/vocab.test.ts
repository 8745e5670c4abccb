import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vocab } from './vocab';

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('Vocab', () => {
  it('puts the specials first (<pad> = 0), then tokens by frequency, ties in code-point order', () => {
    const v = Vocab.build(['banana', 'cab']);
    expect(v.tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'n', 'c']);
    expect(v.padId).toBe(0);
    const again = Vocab.build(['cab', 'banana']);
    expect(again.tokens).toEqual(v.tokens);
  });

  it('honours minFreq, maxSize and custom specials', () => {
    const v = Vocab.build(['the cat and the hat', 'the end'], {
      tokenizer: 'word',
      minFreq: 2,
      specials: { bos: null, eos: null, pad: '[PAD]', unk: '[UNK]' },
    });
    expect(v.tokens).toEqual(['[PAD]', '[UNK]', 'the']);
    const small = Vocab.build(['aaabbc'], { maxSize: 5 });
    expect(small.tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a']);
  });

  it('encodes unknown tokens as <unk> and decodes without error', () => {
    const v = Vocab.build(['hello']);
    const ids = v.encode('help!', { bos: true, eos: true });
    expect(ids[0]).toBe(v.bosId);
    expect(ids[ids.length - 1]).toBe(v.eosId);
    expect(ids.filter((i) => i === v.unkId)).toHaveLength(2);
    expect(v.decode(ids, { skipSpecial: true })).toBe('hel<unk><unk>');
  });

  it('word tokenizer splits punctuation; a custom tokenizer plugs in', () => {
    const v = Vocab.build(["Don't panic, Arthur."], { tokenizer: 'word', lowercase: true });
    expect(v.encode("don't").map((i) => v.tokenOf(i))).toEqual(['don', "'", 't']);
    const custom = Vocab.build(['a-b-c'], { tokenizer: (t) => t.split('-') });
    expect(custom.has('b')).toBe(true);
    expect(() => Vocab.fromJSON(custom.toJSON())).toThrow(/custom tokenizer; pass it/);
  });

  it('round-trips through JSON exactly and refuses other formats', () => {
    const v = Vocab.build(['ünïcödé 🙂 text'], { tokenizer: 'char' });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.tokens).toEqual(v.tokens);
    expect(back.encode('text 🙂')).toEqual(v.encode('text 🙂'));
    expect(() => Vocab.fromJSON({ format: 'other' } as never)).toThrow(/not a recur vocabulary/);
    expect(() => Vocab.fromJSON({ ...v.toJSON(), version: 99 })).toThrow(/newer than this library/);
  });

  it('builds the same vocabulary from a stream of chunks as from the whole text', async () => {
    const text = 'the quick brown fox jumps over the lazy dog\n'.repeat(50);
    for (const tokenizer of ['char', 'word'] as const) {
      const whole = Vocab.build([text], { tokenizer });
      const streamed = await Vocab.fromStream(chunks(text, 7), { tokenizer });
      expect(streamed.tokens).toEqual(whole.tokens);
    }
  });

  it('a 10 MB file streams into a vocabulary holding a few copies of the text at most', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-vocab-'));
    try {
      const file = join(dir, 'big.txt');
      const line = 'It was the best of times, it was the worst of times, it was the age of wisdom.\n';
      writeFileSync(file, line.repeat(Math.ceil(10_000_000 / line.length)));
      const script = `
        import { createReadStream } from 'node:fs';
        import { Vocab } from ${JSON.stringify(resolve(__dirname, 'vocab.ts'))};
        const before = process.memoryUsage();
        let peak = 0;
        const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - before.rss); }, 5);
        const v = await Vocab.fromStream(createReadStream(process.argv[2], 'utf8'), { tokenizer: 'word' });
        peak = Math.max(peak, process.memoryUsage().rss - before.rss);
        clearInterval(sample);
        const back = Vocab.fromJSON(JSON.stringify(v));
        console.log(JSON.stringify({ peak, size: v.size, same: back.tokens.join() === v.tokens.join() }));
      `;
      const tsx = resolve(__dirname, '../../../node_modules/.bin/tsx');
      const scriptFile = join(dir, 'build-vocab.mts');
      writeFileSync(scriptFile, script);
      const r = spawnSync(tsx, [scriptFile, file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
      expect(out.same).toBe(true);
      expect(out.size).toBeGreaterThan(10);
      // The text as one JS string would be 20 MB (UTF-16); streaming stays well under three copies.
      expect(out.peak).toBeLessThan(60_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
