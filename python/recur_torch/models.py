"""recur's models as torch.nn.Modules with the same parameter names, so state dicts load strictly."""
from torch import nn


class RecurrentLM(nn.Module):
    """@recur/train's RecurrentLM: Embedding → RNN / LSTM / GRU (batch-first) → Linear."""

    def __init__(self, vocabSize, embeddingDim, hiddenSize, cell='LSTM', numLayers=1, dropout=0.0, **_ignored):
        super().__init__()
        if cell not in ('RNN', 'LSTM', 'GRU'):
            raise ValueError(f"cell must be 'RNN', 'LSTM' or 'GRU', got {cell!r}")
        self.embedding = nn.Embedding(vocabSize, embeddingDim)
        self.rnn = getattr(nn, cell)(embeddingDim, hiddenSize, num_layers=numLayers, batch_first=True,
                                     dropout=dropout if numLayers > 1 else 0.0)
        self.head = nn.Linear(hiddenSize, vocabSize)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state


def build_model(config):
    """A module from the model config recur saves in a checkpoint's `extra.model`."""
    kind = config.get('kind', 'RecurrentLM')
    if kind == 'RecurrentLM':
        return RecurrentLM(**{k: v for k, v in config.items() if k != 'kind'})
    if kind == 'KerasChain':
        return KerasChain(**{k: v for k, v in config.items() if k != 'kind'})
    raise ValueError(f"model kind {kind!r}: recur_torch rebuilds 'RecurrentLM' and 'KerasChain'")


class KerasChain(nn.Module):
    """A chain of @recur/keras layers in PyTorch's form (what `toTorchForm` writes): Embedding
    (maskZero → the padded batch is packed, each sequence read to its length), SimpleRNN / LSTM / GRU
    (bidirectional with a merge mode, returnSequences or the last real step), Dense / TimeDistributed(Dense),
    Dropout. `forward` gives the last Dense's logits (its activation left out, for the loss);
    `predict` applies it, as Keras' predict does."""

    def __init__(self, layers, **_ignored):
        super().__init__()
        self.specs = layers
        mods = []
        for s in layers:
            t = s['type']
            if t == 'Embedding':
                mods.append(nn.Embedding(s['inputDim'], s['outputDim']))
            elif t in ('SimpleRNN', 'LSTM', 'GRU'):
                cls = {'SimpleRNN': nn.RNN, 'LSTM': nn.LSTM, 'GRU': nn.GRU}[t]
                mods.append(cls(s['inputSize'], s['units'], batch_first=True, bidirectional=s['bidirectional']))
            elif t == 'Dense':
                mods.append(nn.Linear(s['inFeatures'], s['units'], bias=s['bias']))
            elif t == 'Dropout':
                mods.append(nn.Dropout(s['rate']))
            else:
                raise ValueError(f'layer type {t!r} has no PyTorch form in recur_torch')
        self.layers = nn.ModuleList(mods)

    def forward(self, tokens):
        import torch
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
        x = tokens
        lengths = None
        last_dense = max(i for i, s in enumerate(self.specs) if s['type'] == 'Dense')
        for i, (s, mod) in enumerate(zip(self.specs, self.layers)):
            t = s['type']
            if t == 'Embedding':
                if s['maskZero']:
                    lengths = (tokens != 0).sum(1).clamp(min=1)
                x = mod(x)
            elif t in ('SimpleRNN', 'LSTM', 'GRU'):
                T = x.shape[1]
                if lengths is not None:
                    out, h = mod(pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False))
                    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
                else:
                    out, h = mod(x)
                h = h[0] if t == 'LSTM' else h  # [directions, B, H]
                if s['returnSequences']:
                    if lengths is not None and not s['bidirectional']:
                        # Keras repeats the last real output over masked steps (Bidirectional zeroes them).
                        idx = (torch.arange(T).unsqueeze(0).clamp(max=(lengths - 1).unsqueeze(1)))
                        out = out.gather(1, idx.unsqueeze(-1).expand(-1, -1, out.shape[-1]))
                    x = out if not s['bidirectional'] else merge(out.chunk(2, -1), s['mergeMode'])
                else:
                    x = h[-1] if not s['bidirectional'] else merge((h[-2], h[-1]), s['mergeMode'])
            elif t == 'Dense':
                x = mod(x)
                if i != last_dense:
                    x = activate(x, s['activation'])
            else:
                x = mod(x)
        return x

    def predict(self, tokens):
        s = self.specs[max(i for i, s in enumerate(self.specs) if s['type'] == 'Dense')]
        return activate(self.forward(tokens), s['activation'])

    @property
    def final_activation(self):
        return [s for s in self.specs if s['type'] == 'Dense'][-1]['activation']


def merge(parts, mode):
    import torch
    a, b = parts
    if mode in (None, 'concat'):
        return torch.cat([a, b], -1)
    if mode == 'sum':
        return a + b
    if mode == 'mul':
        return a * b
    if mode == 'ave':
        return (a + b) / 2
    raise ValueError(f'merge mode {mode!r}')


def activate(x, name):
    import torch
    return {'linear': lambda v: v, 'softmax': lambda v: torch.softmax(v, -1), 'sigmoid': torch.sigmoid,
            'tanh': torch.tanh, 'relu': torch.relu}[name](x)
