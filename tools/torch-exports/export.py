#!/usr/bin/python3
"""PyTorch 1.13 (the legacy TorchScript exporter) exports of the recurrent models people export.

    apt-get install python3-torch python3-onnx      # Debian: PyTorch 1.13, onnx 1.12
    /usr/bin/python3 tools/torch-exports/export.py  # writes fixtures/torch-1.13/
    node tools/onnx-node-tests/add-ort.mjs fixtures/torch-1.13

Each case is exported with dynamic batch and sequence axes at opsets 9, 11, 14 and 17 (where the
exporter can write that opset), then fed a batch and sequence length other than the export's (the
packed taggers keep the export's batch size: the exporter bakes it into an Expand);
`outputs_expected` are PyTorch's own outputs on that feed (float32, eval mode).
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'torch-1.13')
OPSETS = [9, 11, 14, 17]
V, E, H = 20, 6, 8


class Recurrent(nn.Module):
    """A bare nn.RNN / LSTM / GRU; h0 (and c0) are graph inputs when `with_state`."""

    def __init__(self, kind, with_state=False, **kw):
        super().__init__()
        self.rnn = getattr(nn, kind)(E, H, **kw)
        self.kind = kind
        self.with_state = with_state

    def forward(self, x, *state):
        if not self.with_state:
            y, _ = self.rnn(x)
            return y
        if self.kind == 'LSTM':
            y, (h, c) = self.rnn(x, (state[0], state[1]))
            return y, h, c
        y, h = self.rnn(x, state[0])
        return y, h


class Tagger(nn.Module):
    """Embedding (padding_idx) → pack_padded_sequence(enforce_sorted=False) → bidirectional LSTM → Linear per token."""

    def __init__(self, kind='LSTM', layers=1):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.rnn = getattr(nn, kind)(E, H, num_layers=layers, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * H, 5)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        padded, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        return self.head(padded)


class Classifier(nn.Module):
    """Embedding → dropout (eval: identity) → GRU → the last hidden state → Linear."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.drop = nn.Dropout(0.3)
        self.rnn = nn.GRU(E, H, batch_first=True, num_layers=2, dropout=0.2)
        self.head = nn.Linear(H, 3)

    def forward(self, tokens):
        _, h = self.rnn(self.drop(self.embedding(tokens)))
        return self.head(h[-1])


def fixture(t):
    a = t.detach().numpy()
    dtype = {np.float32: 'float32', np.int64: 'int64'}[a.dtype.type]
    return {'shape': list(a.shape), 'dtype': dtype, 'data': a.flatten().tolist()}


def cases():
    g = torch.Generator().manual_seed(0)
    seq = lambda b, t: torch.randn(b, t, E, generator=g)
    tseq = lambda t, b: torch.randn(t, b, E, generator=g)
    toks = lambda b, t: torch.randint(1, V, (b, t), generator=g)
    B, T, B2, T2 = 2, 5, 3, 7
    yield ('lstm_batch_first', Recurrent('LSTM', batch_first=True), (seq(B, T),), (seq(B2, T2),),
           ['x'], ['y'], {'x': {0: 'batch', 1: 'seq'}, 'y': {0: 'batch', 1: 'seq'}})
    yield ('lstm_2l_bi', Recurrent('LSTM', num_layers=2, bidirectional=True, batch_first=True),
           (seq(B, T),), (seq(B2, T2),), ['x'], ['y'], {'x': {0: 'batch', 1: 'seq'}, 'y': {0: 'batch', 1: 'seq'}})
    yield ('gru_bi_time_major', Recurrent('GRU', bidirectional=True), (tseq(T, B),), (tseq(T2, B2),),
           ['x'], ['y'], {'x': {0: 'seq', 1: 'batch'}, 'y': {0: 'seq', 1: 'batch'}})
    yield ('rnn_relu_2l_h0', Recurrent('RNN', with_state=True, num_layers=2, nonlinearity='relu', batch_first=True),
           (seq(B, T), torch.randn(2, B, H, generator=g)), (seq(B2, T2), torch.randn(2, B2, H, generator=g)),
           ['x', 'h0'], ['y', 'h'], {'x': {0: 'batch', 1: 'seq'}, 'h0': {1: 'batch'}, 'y': {0: 'batch', 1: 'seq'}, 'h': {1: 'batch'}})
    yield ('lstm_h0_c0', Recurrent('LSTM', with_state=True, batch_first=True),
           (seq(B, T), torch.randn(1, B, H, generator=g), torch.randn(1, B, H, generator=g)),
           (seq(B2, T2), torch.randn(1, B2, H, generator=g), torch.randn(1, B2, H, generator=g)),
           ['x', 'h0', 'c0'], ['y', 'h', 'c'],
           {'x': {0: 'batch', 1: 'seq'}, 'h0': {1: 'batch'}, 'c0': {1: 'batch'}, 'y': {0: 'batch', 1: 'seq'},
            'h': {1: 'batch'}, 'c': {1: 'batch'}})
    yield ('tagger_packed_unsorted', Tagger(), (toks(3, 6), torch.tensor([4, 6, 2])),
           (toks(3, 8), torch.tensor([5, 8, 1])), ['tokens', 'lengths'], ['logits'],
           {'tokens': {0: 'batch', 1: 'seq'}, 'lengths': {0: 'batch'}, 'logits': {0: 'batch', 1: 'seq'}})
    yield ('tagger_packed_gru_2l', Tagger('GRU', 2), (toks(3, 6), torch.tensor([4, 6, 2])),
           (toks(3, 8), torch.tensor([5, 8, 1])), ['tokens', 'lengths'], ['logits'],
           {'tokens': {0: 'batch', 1: 'seq'}, 'lengths': {0: 'batch'}, 'logits': {0: 'batch', 1: 'seq'}})
    yield ('classifier_gru_2l_dropout', Classifier(), (toks(B, T),), (toks(B2, T2),), ['tokens'], ['scores'],
           {'tokens': {0: 'batch', 1: 'seq'}, 'scores': {0: 'batch'}})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    written = 0
    for name, module, dummy, feed, input_names, output_names, axes in cases():
        module.eval()
        with torch.no_grad():
            expected = module(*feed)
        expected = expected if isinstance(expected, tuple) else (expected,)
        for opset in OPSETS:
            file = f'{name}_opset{opset}.onnx'
            path = os.path.join(OUT, file)
            try:
                torch.onnx.export(module, dummy, path, opset_version=opset, input_names=input_names,
                                  output_names=output_names, dynamic_axes=axes, do_constant_folding=True)
            except Exception as e:  # the exporter cannot write every model at every opset
                print(f'{name} at opset {opset}: the exporter refuses it ({str(e).splitlines()[0][:120]})', file=sys.stderr)
                continue
            m = onnx.load(path)
            onnx.checker.check_model(m)
            ops = sorted({n.op_type for n in m.graph.node})
            case = {
                'file': file,
                'op': name,
                'opset': opset,
                'source': f'torch {torch.__version__} torch.onnx.export (TorchScript), dynamic batch and sequence axes',
                'ops': ops,
                'inputs': {n: fixture(t) for n, t in zip(input_names, feed)},
                'outputs_expected': {n: fixture(t) for n, t in zip(output_names, expected)},
            }
            with open(path + '.json', 'w') as fh:
                json.dump(case, fh)
            written += 1
            print(f'{file}: {" ".join(ops)}')
    print(f'{written} exports in {os.path.normpath(OUT)}')


main()
