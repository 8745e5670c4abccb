"""Continue training a recur model in PyTorch's DistributedDataParallel.

    python3 -m recur_torch.train_ddp --checkpoint lm.safetensors --data corpus.txt --out out.safetensors \\
        --steps 100 --batch-size 32 --seq-len 64 --lr 0.002 --clip 1.0 [--spawn N]

Under `torchrun` (or SLURM, Kubernetes jobs: anything that sets RANK / WORLD_SIZE / LOCAL_RANK /
MASTER_ADDR / MASTER_PORT) it joins that process group; `--spawn N` starts N processes on this
machine with torch.multiprocessing.spawn instead. gloo on CPU, nccl when CUDA is there.

The data is either a text corpus, encoded with the vocabulary in the checkpoint and cut into
windows of `seq-len + 1` tokens (inputs and next-token targets), or JSON examples for a tagger or
classifier; a DistributedSampler hands each rank its share, so one optimizer step sees
`batch-size` examples in total, whatever the number of processes. Loss (cross-entropy with
ignore_index -100, binary cross-entropy for a sigmoid output, MSE for a linear one; the mean over
the global batch), Adam (PyTorch defaults but lr) and gradient-norm clipping are those of recur's fit. Rank 0 writes recur checkpoints (`--every` steps and at the end)
and, with `--log`, the per-step global losses as JSON.
"""
import argparse
import json
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from .checkpoint import load_checkpoint, save_checkpoint
from .models import build_model
from .vocab import Vocab


class Examples(Dataset):
    """Supervised data as JSON {"x": [[token ids]], "y": [labels] or [[per-token labels, -100 to skip]]}."""

    def __init__(self, path):
        with open(path) as fh:
            j = json.load(fh)
        if not isinstance(j, dict) or 'x' not in j or 'y' not in j or len(j['x']) != len(j['y']):
            raise SystemExit(f'{path}: expected {{"x": [[ids]], "y": [labels]}} with one label (row) per sequence')
        self.x = torch.tensor(j['x'], dtype=torch.long)
        y = torch.tensor(j['y'])
        self.y = y if y.is_floating_point() else y.long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def summed_loss(model, logits, y):
    """(sum of the per-element losses, how many count): the loss recur's fit / Keras' fit would take the mean of."""
    activation = getattr(model, 'final_activation', 'softmax')
    if activation == 'sigmoid':
        y = y.float().reshape(logits.shape)
        return F.binary_cross_entropy_with_logits(logits, y, reduction='sum'), y.numel()
    if activation == 'linear':
        y = y.float().reshape(logits.shape)
        return F.mse_loss(logits, y, reduction='sum'), y.numel()
    flat = logits.reshape(-1, logits.shape[-1])
    target = y.reshape(-1)
    return F.cross_entropy(flat, target, ignore_index=-100, reduction='sum'), int((target != -100).sum())


class Windows(Dataset):
    def __init__(self, ids, seq_len):
        self.ids = torch.tensor(ids, dtype=torch.long)
        self.seq_len = seq_len
        self.count = (len(ids) - 1) // seq_len

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        w = self.ids[i * self.seq_len:i * self.seq_len + self.seq_len + 1]
        return w[:-1], w[1:]


def parse(argv):
    p = argparse.ArgumentParser(prog='python3 -m recur_torch.train_ddp', description=__doc__.split('\n\n')[0])
    p.add_argument('--checkpoint', required=True, help='a recur checkpoint with the vocabulary and extra.model')
    p.add_argument('--data', required=True,
                   help='a UTF-8 text file (language models), or JSON {"x": [[ids]], "y": [...]} (taggers, classifiers)')
    p.add_argument('--out', required=True, help='where to write the trained recur checkpoint')
    p.add_argument('--steps', type=int, default=100)
    p.add_argument('--batch-size', type=int, default=32, help='the global batch (split over the processes)')
    p.add_argument('--seq-len', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.002)
    p.add_argument('--clip', type=float, default=1.0, help='max gradient norm (0: no clipping)')
    p.add_argument('--every', type=int, default=0, help='also write a checkpoint every N steps')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--spawn', type=int, default=0, help='start N processes on this machine (no launcher)')
    p.add_argument('--log', help='write the per-step global losses here (JSON)')
    a = p.parse_args(argv)
    for name in ('steps', 'batch_size', 'seq_len'):
        if getattr(a, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be at least 1, got {getattr(a, name)}')
    return a


def worker(rank, world, args, port):
    if port is not None:  # --spawn: this machine only
        os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
    cuda = torch.cuda.is_available()
    dist.init_process_group('nccl' if cuda else 'gloo', rank=rank, world_size=world)
    try:
        train(rank, world, args, cuda)
    finally:
        dist.destroy_process_group()


def train(rank, world, args, cuda):
    if args.batch_size % world:
        raise SystemExit(f'--batch-size {args.batch_size} must divide by the {world} processes')
    torch.manual_seed(args.seed)
    state, info = load_checkpoint(args.checkpoint)
    config = (info.get('extra') or {}).get('model')
    if not config:
        raise SystemExit(f'{args.checkpoint}: no extra.model config (save it with the checkpoint)')
    vocab = Vocab(info['vocab']) if info.get('vocab') else None
    device = torch.device(f'cuda:{int(os.environ.get("LOCAL_RANK", rank))}' if cuda else 'cpu')
    model = build_model(config)
    model.load_state_dict(state, strict=True)
    model.to(device).train()
    ddp = DDP(model, device_ids=[device.index] if cuda else None)
    if args.data.endswith('.json'):
        data = Examples(args.data)
    else:
        with open(args.data, encoding='utf-8') as fh:
            data = Windows(vocab.encode(fh.read()), args.seq_len)
    need = args.steps * args.batch_size
    if len(data) < args.batch_size:
        raise SystemExit(f'{args.data}: {len(data)} windows of {args.seq_len + 1} tokens, fewer than one batch')
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=False, drop_last=True)
    loader = DataLoader(data, batch_size=args.batch_size // world, sampler=sampler, drop_last=True)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    losses = []
    step = 0
    epoch = 0
    while step < args.steps:
        sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = ddp(x)
            logits = out[0] if isinstance(out, tuple) else out
            local_sum, local_count = summed_loss(model, logits, y)
            # The mean over the global batch: DDP averages the ranks' gradients, so each rank
            # scales its sum by world / (elements counted on all ranks).
            count = torch.tensor(float(local_count), device=device)
            dist.all_reduce(count)
            loss = local_sum * world / count
            optimizer.zero_grad()
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
            optimizer.step()
            total = local_sum.detach().clone()
            dist.all_reduce(total)
            losses.append((total / count).item())
            step += 1
            if rank == 0 and args.every and step % args.every == 0 and step < args.steps:
                save(args, model, info, step)
            if step >= args.steps:
                break
        epoch += 1
    if rank == 0:
        save(args, model, info, step)
        if args.log:
            with open(args.log, 'w') as fh:
                json.dump({'losses': losses, 'world_size': world, 'global_batch': args.batch_size,
                           'windows': len(data), 'windows_used': min(need, len(data))}, fh)


def save(args, model, info, step):
    out = args.out if step >= args.steps else f'{args.out}.step{step}'
    save_checkpoint(out, {k: v.cpu() for k, v in model.state_dict().items()}, (info.get('step') or 0) + step,
                    vocab=info['vocab'], extra=info.get('extra'))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.spawn:
        torch.multiprocessing.spawn(worker, args=(args.spawn, args, free_port()), nprocs=args.spawn, join=True)
    elif 'WORLD_SIZE' in os.environ:  # torchrun or a cluster launcher set up the group
        worker(int(os.environ['RANK']), int(os.environ['WORLD_SIZE']), args, None)
    else:  # no launcher: one process
        worker(0, 1, args, free_port())


if __name__ == '__main__':
    main()
