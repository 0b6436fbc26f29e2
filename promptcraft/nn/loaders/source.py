"""A checkpoint as the loader sees it, whatever its format: a *tensor source*.

A source knows three things: the :class:`ModelConfig` its metadata describes, its weights
under their Hugging Face names and in Hugging Face orientation (the common language of
every format: :mod:`.hf_layout` maps those names onto the Decoder once, for all of them),
and its tokenizer. Each format (a safetensors directory, a GGUF file) is one module that
subclasses :class:`TensorSource` and :class:`SourceTensor` and declares a :class:`Format`.

A weight is read in two steps, :meth:`SourceTensor.blocks` (the stored encoding, rows in
Hugging Face order) and :meth:`SourceTensor.dequantize` (those blocks as floats); an int4
model takes 4-bit blocks as they are (:meth:`SourceTensor.int4_weight`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ...errors import ModelLoadError
from ...tokenizers.tokenizer import Tokenizer
from ..config import ModelConfig
from ..quantized import Int4Weight

__all__ = ["DTYPES", "Format", "SourceTensor", "TensorSource", "resolve_dtype"]

DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
}


@dataclass(frozen=True)
class SourceTensor(ABC):
    """One weight of a checkpoint.

    ``name`` is the tensor's name in ``file`` (errors say it, since that is what the user
    can look up); ``shape`` is the Hugging Face tensor's; ``kind`` the stored type as the
    format names it ("F32", "BF16", "Q4_1", ...).
    """

    file: Path
    name: str
    shape: tuple[int, ...]
    kind: str

    @abstractmethod
    def check_kind(self) -> None:
        """Raise :class:`ModelLoadError` if the loader cannot read this stored type."""

    @abstractmethod
    def blocks(self) -> Any:
        """The stored encoding (a float tensor, or quantised blocks), rows in the order
        of the Hugging Face tensor."""

    @abstractmethod
    def dequantize(self, blocks: Any) -> torch.Tensor:
        """``blocks`` as floating-point values of :attr:`shape`."""

    def read(self) -> torch.Tensor:
        """The values, dequantised: what a float model is filled with."""
        return self.dequantize(self.blocks())

    def read_rows(self) -> Iterator[tuple[int, torch.Tensor]]:
        """The values, dequantised, as ``(first row, rows)`` pieces: a format that can
        dequantise part of a tensor yields a few thousand rows at a time, so a large
        embedding never exists in float32 whole on its way into a bfloat16 model."""
        yield 0, self.read()

    def release(self) -> None:
        """Once the tensor is copied into the model: let go of what reading it held (the
        pages of a mapped file). Reading it again still works."""
        return None  # a format that copies tensors out of its file holds nothing after

    def int4_weight(self, group_size: int) -> Int4Weight | None:
        """The stored blocks as an int4 layer's groups, where they map onto them exactly
        (llama.cpp's Q4_0 and Q4_1); None where the values must be quantised instead."""
        return None

    def error(self, message: str) -> ModelLoadError:
        return ModelLoadError(
            f"{self.file}: tensor {self.name!r} {message}", path=str(self.file), tensor=self.name
        )


class TensorSource(ABC):
    """A checkpoint opened and checked as far as its headers go: nothing is dequantised
    until the loader reads a tensor."""

    #: What the user named: a directory or a file.
    path: Path
    config: ModelConfig
    #: Hugging Face name -> tensor (names a format does not map are errors at open time).
    tensors: dict[str, SourceTensor]
    #: The file whose settings ``config`` comes from, and how errors call those settings
    #: ("config.json" or "the GGUF metadata").
    config_file: Path
    config_name: str

    @abstractmethod
    def key(self, field: str) -> str:
        """The setting that sets ModelConfig ``field``, as the checkpoint spells it
        (``num_hidden_layers`` in config.json, ``llama.block_count`` in GGUF)."""

    @abstractmethod
    def stored_name(self, hf_name: str) -> str:
        """The name the checkpoint would give the Hugging Face tensor ``hf_name``."""

    def tensor_hint(self, hf_name: str, *, present: bool) -> str:
        """Why a tensor is unexpected (``present``) or missing: the setting to look at."""
        return f" (does {self.config_name} match the weights?)"

    @abstractmethod
    def load_tokenizer(self) -> Tokenizer:
        """The checkpoint's tokenizer (ModelLoadError if it has none or a bad one)."""

    def default_dtype(self) -> torch.dtype:
        """The precision of ``dtype=None``."""
        return torch.float32

    def stored_dtype(self) -> torch.dtype:
        """The precision of ``dtype="auto"``: the checkpoint's own, where it has one."""
        return self.default_dtype()


@dataclass(frozen=True)
class Format:
    """A checkpoint format: whether a path is one, and how to open it. A new format is a
    new module with a source, a tensor class and one of these (listed in :mod:`.load`)."""

    name: str
    claims: Callable[[Path], bool]
    open: Callable[[Path], TensorSource]


def resolve_dtype(dtype: str | torch.dtype | None, source: TensorSource) -> torch.dtype:
    """``None`` -> the source's default; ``"auto"`` -> the checkpoint's stored precision."""
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise ValueError(f"unsupported dtype {dtype}; use float32, bfloat16 or float16")
        return dtype
    if dtype is None:
        return source.default_dtype()
    if dtype == "auto":
        return source.stored_dtype()
    if dtype not in DTYPES:
        raise ValueError(
            f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}, 'auto', 'int8' or 'int4'"
        )
    return DTYPES[dtype]
