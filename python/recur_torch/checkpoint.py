"""recur checkpoints: one safetensors file, `model.<name>` tensors (PyTorch names) and JSON metadata."""
import json

from .safetensors_io import read_safetensors, write_safetensors

FORMAT = 'recur-checkpoint'
VERSION = 1


def load_checkpoint(path):
    """(state dict, metadata dict with vocab / extra / step)."""
    tensors, meta = read_safetensors(path)
    if meta.get('format') != FORMAT or 'recur' not in meta:
        raise ValueError(f'{path}: not a recur checkpoint (metadata format {meta.get("format")!r})')
    info = json.loads(meta['recur'])
    if info.get('version', 0) > VERSION:
        raise ValueError(f"{path}: checkpoint version {info['version']} is newer than recur_torch's {VERSION}")
    state = {k[len('model.'):]: v for k, v in tensors.items() if k.startswith('model.')}
    return state, info


def save_checkpoint(path, state_dict, step, vocab=None, extra=None, epoch=None):
    """A checkpoint recur's loadCheckpoint reads (no optimizer state: recur's Adam starts afresh)."""
    tensors = {f'model.{k}': v.float() if v.is_floating_point() else v for k, v in state_dict.items()}
    info = {'format': FORMAT, 'version': VERSION, 'step': int(step), 'epoch': epoch, 'rng': None,
            'vocab': vocab, 'extra': extra, 'optimizer': None}
    write_safetensors(path, tensors, {'format': FORMAT, 'recur': json.dumps(info)})
