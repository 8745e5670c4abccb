"""The safetensors format (8-byte little-endian header length, a JSON header, raw little-endian data),
read and written with torch alone so the module needs no other package."""
import json
import os
import struct
import tempfile

import torch

DTYPES = {
    'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
    'BOOL': torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    """(tensors by name, the __metadata__ dict). Offsets are checked against the file."""
    with open(path, 'rb') as fh:
        data = fh.read()
    if len(data) < 8:
        raise ValueError(f'{path}: {len(data)} bytes is too short for a safetensors file')
    (n,) = struct.unpack('<Q', data[:8])
    if 8 + n > len(data):
        raise ValueError(f'{path}: the header claims {n} bytes, the file has {len(data) - 8}')
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {}) or {}
    body = data[8 + n:]
    tensors = {}
    for name, spec in header.items():
        dtype = DTYPES.get(spec['dtype'])
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has dtype {spec['dtype']}, which recur_torch does not read")
        start, end = spec['data_offsets']
        if not 0 <= start <= end <= len(body):
            raise ValueError(f"{path}: tensor '{name}' data [{start}, {end}) lies outside the {len(body)}-byte body")
        t = torch.frombuffer(bytearray(body[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(spec['shape']).clone()
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes atomically (a temporary file in the same folder, then a rename)."""
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as fh:
            fh.write(struct.pack('<Q', len(text)))
            fh.write(text)
            for c in chunks:
                fh.write(c)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
