"""recur's Vocab JSON (`format: recur-vocab`), encoding text exactly as @recur/data does."""
import re

_WORD = re.compile(r'[^\W]+|[^\s\w]', re.UNICODE)


class Vocab:
    def __init__(self, j):
        if j.get('format') != 'recur-vocab':
            raise ValueError(f"not a recur vocabulary (format {j.get('format')!r})")
        self.tokens = list(j['tokens'])
        self.tokenizer = j['tokenizer']
        self.lowercase = bool(j.get('lowercase'))
        self.specials = j.get('specials') or {}
        self.index = {t: i for i, t in enumerate(self.tokens)}
        unk = self.specials.get('unk')
        self.unk_id = self.index.get(unk, -1) if unk else -1
        if self.tokenizer not in ('char', 'word'):
            raise ValueError(f"tokenizer {self.tokenizer!r}: only 'char' and 'word' vocabularies can be rebuilt outside JS")

    @property
    def size(self):
        return len(self.tokens)

    def tokenize(self, text):
        if self.tokenizer == 'char':
            return list(text)  # one token per code point, as Array.from(text)
        return _WORD.findall(text.lower() if self.lowercase else text)

    def encode(self, text):
        ids = []
        for t in self.tokenize(text):
            i = self.index.get(t, self.unk_id)
            if i < 0:
                raise ValueError(f'token {t!r} is not in the vocabulary and there is no <unk>')
            ids.append(i)
        return ids
