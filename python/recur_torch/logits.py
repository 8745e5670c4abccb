"""The outputs a recur checkpoint's model gives for token ids, computed by PyTorch (to compare with
recur): a language model's logits, a Keras chain's predictions (its last activation applied).

    python3 -m recur_torch.logits --checkpoint out.safetensors --ids ids.json --out logits.json
"""
import argparse
import json

import torch

from .checkpoint import load_checkpoint
from .models import build_model


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m recur_torch.logits')
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--ids', required=True, help='a JSON [batch][time] list of token ids')
    p.add_argument('--out', required=True)
    a = p.parse_args(argv)
    state, info = load_checkpoint(a.checkpoint)
    model = build_model(info['extra']['model'])
    model.load_state_dict(state, strict=True)
    model.eval()
    with open(a.ids) as fh:
        ids = torch.tensor(json.load(fh), dtype=torch.long)
    with torch.no_grad():
        out = model.predict(ids) if hasattr(model, 'predict') else model(ids)
        logits = out[0] if isinstance(out, tuple) else out
    with open(a.out, 'w') as fh:
        json.dump({'shape': list(logits.shape), 'data': logits.flatten().tolist()}, fh)


if __name__ == '__main__':
    main()
