"""The decoder families, one module each, looked up by ``ModelConfig.family``.

Each module defines one :class:`~.base.Architecture`: the block design, the configurations
it accepts, and how its Hugging Face and GGUF checkpoints are read and written. Everything
that differs between families is there and nowhere else; a new family is a new module plus
one line in :data:`REGISTRY`.

Imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import gpt2, llama
from .base import Architecture, Piece

__all__ = [
    "REGISTRY",
    "Architecture",
    "Piece",
    "architecture_of",
    "families",
    "from_gguf_architecture",
    "from_hf_architecture",
]

#: ``ModelConfig.family`` -> its architecture.
REGISTRY: Mapping[str, Architecture] = MappingProxyType(
    {
        gpt2.ARCHITECTURE.family: gpt2.ARCHITECTURE,
        llama.ARCHITECTURE.family: llama.ARCHITECTURE,
    }
)


def families() -> tuple[str, ...]:
    """The ``ModelConfig.family`` values there is an architecture for."""
    return tuple(REGISTRY)


def architecture_of(family: str) -> Architecture:
    """The architecture of ``family`` (ValueError naming the known ones if there is none)."""
    found = REGISTRY.get(family)
    if found is None:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(REGISTRY)}")
    return found


def from_hf_architecture(name: str) -> Architecture | None:
    """The family whose checkpoints config.json names ``name`` (``"LlamaForCausalLM"``)."""
    return next((a for a in REGISTRY.values() if name in a.hf_architectures), None)


def from_gguf_architecture(name: str) -> Architecture | None:
    """The family of a GGUF file whose ``general.architecture`` is ``name``."""
    return next((a for a in REGISTRY.values() if name in a.gguf_architectures), None)
