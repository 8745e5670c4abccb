"""recur ⇄ PyTorch: rebuild recur models as torch.nn.Modules, train them with DistributedDataParallel,
and write checkpoints recur loads. Torch is the only dependency; files are safetensors and JSON."""
from .checkpoint import load_checkpoint, save_checkpoint
from .models import RecurrentLM, build_model
from .safetensors_io import read_safetensors, write_safetensors
from .vocab import Vocab

__all__ = ['RecurrentLM', 'Vocab', 'build_model', 'load_checkpoint', 'read_safetensors', 'save_checkpoint',
           'write_safetensors']
