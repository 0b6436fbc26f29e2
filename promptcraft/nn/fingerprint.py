"""Digests of tensors: an exact checksum of every byte (adapter files record it), and a cheap
fingerprint of a model's weights (response caches key on it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["tensors_checksum", "weights_fingerprint"]


def tensors_checksum(tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def weights_fingerprint(module: nn.Module) -> str:
    """A digest of every tensor's name, shape and first values: cheap even for large models,
    and different after any training step (every weight moves)."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        sample = tensor.detach().reshape(-1)[:64].float().tolist()
        digest.update(json.dumps(sample).encode())
    return digest.hexdigest()[:16]
