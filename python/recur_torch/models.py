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
    raise ValueError(f"model kind {kind!r}: recur_torch rebuilds 'RecurrentLM'")
