"""How Hugging Face tensor names and shapes map onto the Decoder's parameters: the common
language of every tensor source (a GGUF file presents its tensors under these names too).

Each of our parameters is made of one or more checkpoint tensors: Llama's q/k/v
projections are stacked into our fused ``qkv``, gate/up into ``mlp.up``; GPT-2 stores its
linear layers as ``Conv1D`` with the weight transposed ([in, out]). Each family's mapping is
its architecture's (:attr:`Architecture.hf_layout`, :mod:`promptcraft.nn.architectures`).
"""

from __future__ import annotations

import torch

from ..architectures import Piece
from ..config import ModelConfig

__all__ = ["IGNORED_SUFFIXES", "Piece", "hf_layout", "split_to_hf"]

# Buffers some checkpoints store that are not weights: GPT-2's causal mask, RoPE's inverse
# frequencies. They are recomputed, so they are skipped when present.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq")


def hf_layout(config: ModelConfig, *, for_saving: bool = False) -> list[Piece]:
    """Every parameter of a Decoder with ``config`` and the checkpoint tensors it comes from.

    A tied ``lm_head`` is omitted (it is the embedding). ``for_saving`` lays a Llama model
    out as LlamaForCausalLM can read it: ``attention_bias`` covers q, k, v and o together.
    """
    return config.architecture.hf_layout(config, for_saving)


def split_to_hf(piece: Piece, tensor: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """Our tensor as the checkpoint's tensors (a missing bias is saved as zeros)."""
    out = {}
    offset = 0
    for hf_name, shape in piece.sources:
        rows = shape[-1] if piece.transposed else shape[0]
        if tensor is None:
            part = torch.zeros(shape)
        else:
            part = tensor[offset : offset + rows]
            part = part.t() if piece.transposed else part
        # clone: safetensors refuses views that share storage with another tensor.
        out[hf_name] = part.contiguous().clone()
        offset += rows
    return out
