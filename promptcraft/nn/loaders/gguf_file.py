"""A GGUF file (llama.cpp's format) as a tensor source: its tensors under Hugging Face
names, in Hugging Face orientation and row order.

Three differences from a Hugging Face checkpoint are undone here, and nowhere else:

- **Names.** ``blk.3.attn_q.weight`` is ``model.layers.3.self_attn.q_proj.weight`` (llama,
  qwen2) and ``blk.3.attn_qkv.weight`` is ``h.3.attn.c_attn.weight`` (gpt2): each family's
  tables (``Architecture.gguf_names`` and ``gguf_block``, :mod:`promptcraft.nn.architectures`).
- **Row order of Llama's queries and keys.** llama.cpp rotates the pairs (0, 1), (2, 3),
  ... of a head, Hugging Face the pairs (0, d/2), (1, d/2 + 1), ..., so its converter
  interleaves each head's two halves (``LlamaModel.permute`` in convert_hf_to_gguf.py).
  Reading stored row ``2i + j`` of a head as row ``j * d/2 + i`` undoes it. A row
  permutation moves whole rows of quantised blocks, so it is applied to the blocks before
  they are dequantised. Qwen2 and GPT-2 are not permuted.
- **Orientation of GPT-2's linear layers.** The converter stores them as [out, in] (like
  ``nn.Linear``), the transpose of GPT-2's ``Conv1D``; :meth:`GGUFTensor.dequantize`
  returns the Conv1D view (a transposed view: no copy).

Quantised blocks are dequantised with ``gguf.quants.dequantize``, llama.cpp's reference
dequantiser in NumPy: one implementation for all eleven supported types, equal to
llama.cpp's C code bit for bit. (A PyTorch version of Q8_0 and Q4_1 was not measurably
faster on the default model: about 1 s for all of SmolLM2-135M either way.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import ModelLoadError, TokenizerError
from ...tokenizers.tokenizer import Tokenizer
from ...utils.gguf_header import GGUFFile, open_gguf
from ..quantized import Int4Weight
from .assemble import check_finite
from .gguf_config import config_from_gguf, gguf_key
from .memory import drop_mapped_pages
from .source import Format, SourceTensor, TensorSource

__all__ = ["FORMAT", "SUPPORTED_TYPES", "GGUFSource", "GGUFTensor", "interleaved_row_order"]

#: The GGML tensor types the loader reads.
SUPPORTED_TYPES = (
    "F32",
    "F16",
    "BF16",
    "Q8_0",
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q4_K",
    "Q5_K",
    "Q6_K",
)

# Tensors that are settings, not weights (read by gguf_config).
_SETTINGS_TENSORS = ("rope_freqs.weight",)
_ROWS_PER_STEP = 1024
# The 4-bit block types an int4 layer takes as they are: (has a minimum, bytes a block).
_INT4_BLOCKS = {"Q4_0": (False, 18), "Q4_1": (True, 20)}
_BLOCK_WEIGHTS = 32
_GGUF_BLOCK = re.compile(r"blk\.(\d+)\.([a-z_]+)\.(weight|bias)")


@dataclass(frozen=True, eq=False)
class GGUFTensor(SourceTensor):
    """A tensor of a GGUF file (``kind`` is its GGML type name: "Q4_1", "F32", ...)."""

    entry: Any = field(default=None, repr=False)  # gguf's ReaderTensor
    #: Llama's queries/keys: rows come in this many heads with interleaved rotary halves.
    interleaved_heads: int | None = None
    #: GPT-2's Conv1D weights: the Hugging Face tensor is the stored matrix transposed.
    transposed: bool = False

    def check_kind(self) -> None:
        if self.kind not in SUPPORTED_TYPES:
            raise self.error(
                f"has tensor type {self.kind}, which promptcraft cannot dequantize "
                f"(supported: {', '.join(SUPPORTED_TYPES)})"
            )

    def blocks(self) -> np.ndarray:
        """The stored rows (floats, or quantised blocks as bytes), one per output feature,
        in Hugging Face row order. A view of the mapped file unless rows were reordered."""
        data: np.ndarray = self.entry.data
        if self.interleaved_heads is None:
            return data
        return data[interleaved_row_order(data.shape[0], self.interleaved_heads)]

    def int4_weight(self, group_size: int) -> Int4Weight | None:
        """Q4_1 blocks (``w = q * d + m`` over 32 weights) are int4 groups with scale ``d``
        and zero ``m + 8d``; Q4_0 (``w = (q - 8) * d``) with zero 0. The codes are taken
        as stored; only the scales and zeros are rounded (to bfloat16) by the layer."""
        layout = _INT4_BLOCKS.get(self.kind)
        if layout is None or group_size != _BLOCK_WEIGHTS or self.transposed:
            return None
        has_min, block_bytes = layout
        rows = self.shape[0]
        raw = np.ascontiguousarray(self.blocks()).reshape(rows, -1, block_bytes)
        halves = raw[..., 2 * (1 + has_min) :]  # 16 bytes: weight j low, weight j + 16 high
        codes = np.concatenate([halves & 15, halves >> 4], axis=-1).reshape(rows, -1)
        d, m = (
            raw[..., i : i + 2].copy().view(np.float16)[..., 0].astype(np.float32) for i in (0, 2)
        )
        scales = torch.from_numpy(d)
        zeros = torch.from_numpy(m + 8 * d if has_min else np.zeros_like(d))
        for values in (scales, zeros):
            check_finite(values, self)
        return Int4Weight(torch.from_numpy(codes), scales, zeros, _BLOCK_WEIGHTS)

    def release(self) -> None:
        data: np.ndarray = self.entry.data
        drop_mapped_pages(data.ctypes.data, data.nbytes)

    def dequantize(self, blocks: np.ndarray) -> torch.Tensor:
        # Into one float32 array, a few thousand rows at a time: gguf's dequantize holds its
        # output twice while it works, and the peak should stay at one tensor.
        stored_shape = self.shape[::-1] if self.transposed else self.shape
        values = np.empty(stored_shape, dtype=np.float32)
        out = values.reshape(-1, stored_shape[-1])
        for start, part in self._row_steps(blocks):
            out[start : start + len(part)] = part
        tensor = torch.from_numpy(values)
        return tensor.t() if self.transposed else tensor

    def read_rows(self) -> Iterator[tuple[int, torch.Tensor]]:
        if self.transposed:
            yield 0, self.read()
            return
        for start, part in self._row_steps(self.blocks()):
            writable = part if part.flags.writeable else part.copy()  # float rows: the file's
            yield start, torch.from_numpy(writable).reshape(-1, *self.shape[1:])

    def _row_steps(self, blocks: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, float32 rows)``, :data:`_ROWS_PER_STEP` stored rows at a time."""
        from gguf.quants import dequantize

        rows = blocks.reshape(-1, blocks.shape[-1])
        for start in range(0, len(rows), _ROWS_PER_STEP):
            step = rows[start : start + _ROWS_PER_STEP]
            yield start, dequantize(step, self.entry.tensor_type).astype(np.float32, copy=False)


class GGUFSource(TensorSource):
    """A GGUF file: header checked, config read, tensors named (no data read yet)."""

    def __init__(self, path: Path):
        self.path = self.config_file = path
        self.config_name = "the GGUF metadata"
        self.gguf: GGUFFile = open_gguf(path)
        self.config = config_from_gguf(self.gguf)
        self.tensors = self._hf_tensors()

    def key(self, field: str) -> str:
        return gguf_key(self.gguf, field)

    def stored_name(self, hf_name: str) -> str:
        design = self.config.architecture
        for gguf_name, name in design.gguf_names.items():
            if name == hf_name:
                return gguf_name
        prefix = re.escape(design.hf_block_prefix)
        match = re.fullmatch(rf"{prefix}\.(\d+)\.(.+)\.(weight|bias)", hf_name)
        if match:
            for gguf_part, part in design.gguf_block.items():
                if part == match[2]:
                    return f"blk.{match[1]}.{gguf_part}.{match[3]}"
        return hf_name

    def load_tokenizer(self) -> Tokenizer:
        from ...tokenizers.gguf_vocab import tokenizer_from_gguf

        try:
            return tokenizer_from_gguf(self.gguf)
        except TokenizerError as exc:
            raise ModelLoadError(
                f"cannot load the tokenizer of {self.path}: {exc}", path=str(self.path)
            ) from None

    def default_dtype(self) -> torch.dtype:
        """float32, measured against bfloat16 on SmolLM2-135M (AMD EPYC with AVX-512 BF16,
        2 shared cores). bfloat16 decodes faster on 2 threads (35 against 27 tokens/s),
        slower on 1 (23 against 27), and needs half the memory; but its rounding depends on
        how many tokens a matrix product takes at once, so the prefix cache (which
        recomputes only a prompt's last token) changed a greedy answer: "What is the capital
        of France?" asked twice gave "The capital of France is Paris." and then "L'Étoile,
        la Marseillaise", whose first tokens differ by 0.08 in logit. In float32 the same
        prompt gives the same answer whatever the cache holds. ``dtype="bfloat16"`` trades
        that for speed."""
        return torch.float32

    def stored_dtype(self) -> torch.dtype:
        """The float type all matrices are stored in, if they share one; else the default."""
        floats = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
        kinds = {t.kind for t in self.tensors.values() if len(t.shape) == 2}
        if len(kinds) == 1 and kinds <= floats.keys():
            return floats[kinds.pop()]
        return self.default_dtype()

    def _hf_tensors(self) -> dict[str, SourceTensor]:
        """Every weight of the file under its Hugging Face name (unknown names are errors)."""
        arch, design = self.gguf.metadata["general.architecture"], self.config.architecture
        top, block = design.gguf_names, design.gguf_block
        # llama.cpp permutes the rows of Llama's queries and keys (not Qwen2's)
        interleaved = arch in design.gguf_interleaved_qk
        heads = {"attn_q": self.config.n_heads, "attn_k": self.config.n_kv_heads}
        found: dict[str, SourceTensor] = {}
        for name, entry in self.gguf.tensors.items():
            if name in _SETTINGS_TENSORS:
                continue
            match = _GGUF_BLOCK.fullmatch(name)
            part = match[2] if match else ""
            if name in top:
                hf_name = top[name]
            elif match and part in block:
                hf_name = f"{design.hf_block_prefix}.{match[1]}.{block[part]}.{match[3]}"
            else:
                raise ModelLoadError(
                    f"{self.path}: unexpected tensor {name!r}: not part of a {arch} model as "
                    "llama.cpp lays one out (is general.architecture right?)",
                    path=str(self.path),
                    tensor=name,
                )
            transposed = part in design.gguf_transposed and name.endswith(".weight")
            stored = tuple(int(d) for d in reversed(entry.shape.tolist()))
            found[hf_name] = GGUFTensor(
                file=self.path,
                name=name,
                shape=stored[::-1] if transposed else stored,
                kind=entry.tensor_type.name,
                entry=entry,
                interleaved_heads=heads.get(part) if interleaved else None,
                transposed=transposed,
            )
        return found


def interleaved_row_order(rows: int, heads: int) -> np.ndarray:
    """Which stored row each Hugging Face row of a llama.cpp query/key projection is.

    Within a head of ``d`` rows, llama.cpp stores Hugging Face row ``j * d/2 + i`` (half
    ``j``, pair ``i``) as row ``2i + j``.
    """
    half = rows // heads // 2
    stored = np.arange(rows).reshape(heads, half, 2)  # stored[h, i, j] = h*d + 2i + j
    return stored.transpose(0, 2, 1).reshape(rows)


FORMAT = Format("GGUF file", Path.is_file, GGUFSource)
