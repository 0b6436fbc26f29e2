"""Weight-only quantised linear layers: ``dtype="int8"`` and ``dtype="int4"`` in
``load_model`` / ``load_backend``.

Both multiply with torch's own CPU kernels and keep activations in bfloat16 (the kernels'
float32 paths are 10-30x slower than their bfloat16 ones on these CPUs):

- :class:`Int8Linear`: int8 weights with one bfloat16 scale per output row (symmetric:
  ``w ≈ q * scale``), ``torch.ops.aten._weight_int8pack_mm``; a quarter of float32's bytes.
- :class:`Int4Linear`: 4-bit codes in groups of ``group_size`` inputs, each group with a
  scale and a zero point (``w ≈ (q - 8) * scale + zero``, ``q`` in 0..15),
  ``torch.ops.aten._weight_int4pack_mm_for_cpu``; an eighth of float32's bytes. llama.cpp's
  Q4_1 blocks (``w = q * d + m`` over 32 weights) are this with ``scale = d`` and
  ``zero = m + 8d``, and Q4_0 (``w = (q - 8) * d``) with ``zero = 0``, so a GGUF file's
  blocks load as they are (see ``GGUFTensor.int4_weight``), their scales rounded to bfloat16.

Both kernels read the weight once per input row, so their time grows with the rows; a
prompt of :data:`GEMV_ROWS` tokens or more dequantises the weight once and runs one bfloat16
product instead. The weights of a quantised model cannot be trained (the kernels have no
backward): tuning needs a float model.

Two choices concern the output layer and the token embedding, which share one matrix in
most small models (:class:`Int8Embedding`, :meth:`Int8Linear.use_dynamic_kernel`):

- The embedding is looked up from the output layer's int8 rows and scales (an
  :class:`Int8Embedding`), so the model holds that matrix once, in a quarter of float32's
  bytes (SmolLM2: 28 MB instead of 57 MB of bfloat16 rows plus 28 MB of int8 ones).
- The output layer is the largest matrix a token reads (28 of int4 SmolLM2's 95 MB) and
  ``_weight_int8pack_mm`` reads it at about 13 GB/s (2.0 ms). For fewer than
  :data:`GEMV_ROWS` rows it runs on fbgemm's dynamic int8 product instead, which quantises
  the activations to 8 bits as well, as llama.cpp does (0.35 ms alone; perplexity +0.4%:
  19.44 against 19.36 over 8,192 tokens). fbgemm needs its own packed copy of the
  weight, so only the output layer takes it. CPUs without VNNI instructions get 7-bit
  activations, which fbgemm needs there to avoid overflow (+1.4%: 19.62).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .precision import OUTPUT_LAYER, Quantization

__all__ = [
    "GEMV_ROWS",
    "Int4Linear",
    "Int4Weight",
    "Int8Embedding",
    "Int8Linear",
    "is_quantized",
    "keep_prompt_weights",
    "quantize_linears",
    "quantized_linear",
]

#: Rows (tokens) from which a product dequantises the weight instead. The int8 kernel takes,
#: for a 1536x576 projection at one thread, 0.05 ms for 1 row, 0.19 for 8, 1.5 for 64 and 12
#: for 512, where dequantising and one bfloat16 product take 0.4, 0.4, 0.9 and 4.9 ms; the
#: int4 kernel grows alike (0.06 ms for 1 row, 0.2 for 8). Decoding stays on the kernels;
#: prefill and scoring switch.
GEMV_ROWS = 32


class Int8Linear(nn.Module):
    """``nn.Linear`` with an int8 weight and a scale per output row; bfloat16 in and out
    (float32 on the dynamic kernel, :meth:`use_dynamic_kernel`)."""

    weight_int8: torch.Tensor
    scales: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, weight_int8: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.out_features, self.in_features = weight_int8.shape
        self.register_buffer("weight_int8", weight_int8.contiguous())
        self.register_buffer("scales", scales.to(torch.bfloat16).contiguous())
        self.register_buffer("bias", None if bias is None else bias.to(torch.bfloat16))
        # fbgemm's packed copy of the weight (an opaque torch object, not a buffer: it is
        # derived from weight_int8 and scales, and never saved)
        self.dynamic: Any = None
        #: bfloat16 weight kept for prompts (:func:`keep_prompt_weights`); None: made per prompt
        self.kept_weight: torch.Tensor | None = None
        self.reduce_range = True  # fbgemm's 7-bit activations, where 8 could overflow

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        return cls.from_weight(linear.weight.detach(), linear.bias)

    @classmethod
    def from_weight(cls, weight: torch.Tensor, bias: torch.Tensor | None) -> Int8Linear:
        """``weight`` quantised per output row (symmetric, round to nearest)."""
        return cls.from_rows(_row_chunks(weight), weight.shape, bias)

    @classmethod
    def from_rows(
        cls,
        chunks: Iterable[tuple[int, torch.Tensor]],
        shape: Sequence[int],
        bias: torch.Tensor | None,
    ) -> Int8Linear:
        """A weight of ``shape`` [out, in] given as ``(first row, float rows)`` pieces (as a
        checkpoint reads it), quantised per output row without ever being whole in float."""
        out_features, in_features = shape
        quantised = torch.empty(out_features, in_features, dtype=torch.int8)
        scales = torch.empty(out_features)
        for start, part in chunks:
            part = part.float()
            # the scales as the kernel reads them (bfloat16), so q * scale is what it multiplies
            scale = (part.abs().amax(dim=1).clamp(min=1e-12) / 127.0).bfloat16().float()
            rows = slice(start, start + len(part))
            quantised[rows] = torch.round(part / scale[:, None]).clamp(-127, 127)
            scales[rows] = scale
        return cls(quantised, scales, None if bias is None else bias.detach())

    def dequantized(self) -> torch.Tensor:
        """The float32 weight these int8 values and scales stand for."""
        return self.weight_int8.float() * self.scales.float()[:, None]

    def use_dynamic_kernel(self) -> bool:
        """Multiply fewer than :data:`GEMV_ROWS` rows with fbgemm's dynamic int8 product
        (activations quantised to 8 bits per row; see the module's notes), where this torch
        build has it. Keeps a packed copy of the weight. Returns whether it is in use."""
        self.dynamic = _fbgemm_packed(self.weight_int8, self.scales)
        self.reduce_range = not _has_vnni()
        return self.dynamic is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features)
        if rows.shape[0] < GEMV_ROWS and self.dynamic is not None:
            out = torch.ops.quantized.linear_dynamic(rows.float(), self.dynamic, self.reduce_range)
            return _finish(out, self.bias, x)
        rows = rows.to(torch.bfloat16)
        if rows.shape[0] < GEMV_ROWS:
            out = torch.ops.aten._weight_int8pack_mm(rows, self.weight_int8, self.scales)
        else:  # a prompt: dequantise once, then one bfloat16 matrix product
            out = nn.functional.linear(rows, self._prompt_weight())
        return _finish(out, self.bias, x)

    def _prompt_weight(self) -> torch.Tensor:
        return self._bfloat16_weight() if self.kept_weight is None else self.kept_weight

    def _bfloat16_weight(self) -> torch.Tensor:
        return self.weight_int8.to(torch.bfloat16) * self.scales[:, None]

    def forward_rows_apart(self, x: torch.Tensor) -> torch.Tensor:
        """fbgemm's product with each row's activations quantised by that row's own scale,
        so that a row's result does not depend on the rows beside it (fbgemm's dynamic
        product scales the whole batch by its largest value). Needs
        :meth:`use_dynamic_kernel`.

        Each row is rounded to whole numbers from -127 to 127 and one more row holding
        -128 and 127 is added: fbgemm then picks the scale 1 and the zero point 128 for the
        batch, its int32 sums are exact, and its float results are scaled back per row."""
        assert self.dynamic is not None
        rows = x.reshape(-1, self.in_features).float()
        scales = rows.abs().amax(dim=1, keepdim=True).clamp(min=torch.finfo(torch.float32).tiny)
        scales = scales / 127
        bounds = rows.new_zeros(1, self.in_features)
        bounds[0, 0], bounds[0, 1] = -128, 127
        whole = torch.cat([torch.round(rows / scales), bounds])
        out = torch.ops.quantized.linear_dynamic(whole, self.dynamic, self.reduce_range)[:-1]
        return _finish(out * scales, self.bias, x)

    def extra_repr(self) -> str:
        kernel = ", fbgemm for decoding" if self.dynamic is not None else ""
        return f"in_features={self.in_features}, out_features={self.out_features}, int8{kernel}"


class Int8Embedding(nn.Module):
    """A token embedding looked up from int8 rows with a scale each (an :class:`Int8Linear`'s,
    which a tied output layer shares); float32 out."""

    weight_int8: torch.Tensor
    scales: torch.Tensor

    def __init__(self, weight_int8: torch.Tensor, scales: torch.Tensor):
        super().__init__()
        self.num_embeddings, self.embedding_dim = weight_int8.shape
        self.register_buffer("weight_int8", weight_int8)
        self.register_buffer("scales", scales)

    @classmethod
    def of(cls, layer: Int8Linear) -> Int8Embedding:
        """The embedding that reads ``layer``'s rows (the same tensors, not a copy)."""
        return cls(layer.weight_int8, layer.scales)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.weight_int8[tokens].float() * self.scales[tokens].float().unsqueeze(-1)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, int8"


@dataclass(frozen=True)
class Int4Weight:
    """A weight [out, in] as 4-bit codes (``codes``, uint8 0..15, one per weight) with a
    ``scale`` and ``zero`` per group of ``group_size`` inputs ([out, in / group_size]
    float32): ``w = (q - 8) * scale + zero``."""

    codes: torch.Tensor
    scales: torch.Tensor
    zeros: torch.Tensor
    group_size: int

    @classmethod
    def from_weight(cls, weight: torch.Tensor, group_size: int = 32) -> Int4Weight:
        """Asymmetric round-to-nearest per group: the group's minimum and maximum are the
        ends of the 16 levels (with the scale and zero rounded to bfloat16 first, so the
        codes are chosen for the values the kernel multiplies by)."""
        out_features, in_features = weight.shape
        groups = in_features // group_size
        codes = torch.empty(out_features, in_features, dtype=torch.uint8)
        scales, zeros = torch.empty(out_features, groups), torch.empty(out_features, groups)
        for start, part in _row_chunks(weight):
            values = part.reshape(len(part), groups, group_size)
            low, high = values.amin(dim=-1), values.amax(dim=-1)
            scale = ((high - low) / 15).clamp(min=1e-8).bfloat16().float()
            zero = (low + 8 * scale).bfloat16().float()
            rows = slice(start, start + len(part))
            steps = torch.round((values - zero[..., None]) / scale[..., None] + 8).clamp(0, 15)
            codes[rows] = steps.flatten(1)
            scales[rows], zeros[rows] = scale, zero
        return cls(codes, scales, zeros, group_size)

    @classmethod
    def cat(cls, parts: Sequence[Int4Weight]) -> Int4Weight:
        """The weights stacked by rows (as a fused projection stacks its parts)."""
        return cls(
            torch.cat([p.codes for p in parts]),
            torch.cat([p.scales for p in parts]),
            torch.cat([p.zeros for p in parts]),
            parts[0].group_size,
        )

    def dequantized(self) -> torch.Tensor:
        """The float32 weight these codes, scales and zeros stand for."""
        out, groups = self.scales.shape
        codes = self.codes.reshape(out, groups, self.group_size).float()
        return ((codes - 8) * self.scales[..., None] + self.zeros[..., None]).reshape(out, -1)


class Int4Linear(nn.Module):
    """``nn.Linear`` with a 4-bit grouped weight (:class:`Int4Weight`); bfloat16 in and out.

    ``packed`` is the weight in the layout torch's kernel reads, which depends on the CPU's
    vector width. Where that layout is known (64-row blocks on AVX-512, checked once per
    process against torch's own packing), a prompt dequantises straight from it; elsewhere
    the layer keeps its codes as well, in plain order, at half a byte more per weight.
    """

    packed: torch.Tensor
    scales_and_zeros: torch.Tensor
    codes: torch.Tensor | None
    bias: torch.Tensor | None

    def __init__(self, weight: Int4Weight, bias: torch.Tensor | None):
        super().__init__()
        self.out_features, self.in_features = weight.codes.shape
        self.group_size = weight.group_size
        self.register_buffer("packed", _pack(weight.codes))
        # the kernel's [groups, out, 2] table of (scale, zero)
        table = torch.stack([weight.scales.t(), weight.zeros.t()], dim=-1)
        self.register_buffer("scales_and_zeros", table.to(torch.bfloat16).contiguous())
        unpackable = self.out_features % _BLOCK_ROWS == 0 and _block_layout_is_torchs()
        self.register_buffer("codes", None if unpackable else _pack_pairs(weight.codes))
        self.register_buffer("bias", None if bias is None else bias.detach().to(torch.bfloat16))
        #: bfloat16 weight kept for prompts (:func:`keep_prompt_weights`); None: made per prompt
        self.kept_weight: torch.Tensor | None = None

    def weight(self) -> Int4Weight:
        """The codes, scales and zeros this layer multiplies by."""
        table = self.scales_and_zeros.float()
        return Int4Weight(self._codes(), table[..., 0].t(), table[..., 1].t(), self.group_size)

    def _codes(self) -> torch.Tensor:
        if self.codes is None:
            return _unpack_blocks(self.packed, self.out_features, self.in_features)
        return torch.stack([self.codes & 15, self.codes >> 4], dim=-1).flatten(1)

    def dequantized(self) -> torch.Tensor:
        """The float32 weight these codes, scales and zeros stand for."""
        return self.weight().dequantized()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.bfloat16)
        if rows.shape[0] < GEMV_ROWS:
            out = torch.ops.aten._weight_int4pack_mm_for_cpu(
                rows, self.packed, self.group_size, self.scales_and_zeros
            )
        else:  # a prompt: dequantise once (in bfloat16), then one matrix product
            out = nn.functional.linear(rows, self._prompt_weight())
        return _finish(out, self.bias, x)

    def _prompt_weight(self) -> torch.Tensor:
        return self._bfloat16_weight() if self.kept_weight is None else self.kept_weight

    def _bfloat16_weight(self) -> torch.Tensor:
        groups = self._codes().reshape(self.out_features, -1, self.group_size)
        table = self.scales_and_zeros.transpose(0, 1)  # [out, groups, 2]
        values = (groups.to(torch.bfloat16) - 8) * table[..., :1] + table[..., 1:]
        return values.reshape(self.out_features, self.in_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"int4, group_size={self.group_size}"
        )


def quantized_linear(
    quantization: Quantization, weight: torch.Tensor, bias: torch.Tensor | None
) -> nn.Module:
    """A quantised layer for a float ``weight`` [out, in] (and ``bias``)."""
    if quantization.bits == 8:
        return Int8Linear.from_weight(weight, bias)
    return Int4Linear(Int4Weight.from_weight(weight, quantization.group_size), bias)


def keep_prompt_weights(model: nn.Module) -> int:
    """Keep a bfloat16 copy of each quantised layer's weight for prompts (of
    :data:`GEMV_ROWS` tokens or more), instead of dequantising it for every prompt; returns
    the bytes kept. A server does this: prefilling in chunks dequantised the whole model
    for every chunk (512 tokens in chunks of 64 went at 400 tokens/s, and 833 with the
    copies kept: SmolLM2 int4, 2 threads, ``benchmarks/batch_step.py``), for 256 MB more there.
    The results are the same either way."""
    kept = 0
    for module in model.modules():
        if isinstance(module, (Int4Linear, Int8Linear)) and module.kept_weight is None:
            module.kept_weight = module._bfloat16_weight()
            kept += module.kept_weight.numel() * module.kept_weight.element_size()
    return kept


def is_quantized(model: nn.Module) -> bool:
    """Whether any of ``model``'s weights are quantised (it cannot be trained or adapted)."""
    kinds = (Int8Linear, Int4Linear, Int8Embedding)
    return any(isinstance(module, kinds) for module in model.modules())


def quantize_linears(model: nn.Module, quantization: Quantization) -> nn.Module:
    """Swap every ``nn.Linear`` of ``model`` for a quantised layer (as
    :meth:`Quantization.for_layer` says for its name and shape), in place; returns the
    model. A weight shared with the token embedding (tied output layer) is quantised as a
    copy; the embedding keeps its float rows for the lookup."""
    for name, child in list(model.named_modules()):
        if isinstance(child, nn.Linear):
            parent, _, attr = name.rpartition(".")
            chosen = quantization.for_layer(name, *child.weight.shape)
            layer = quantized_linear(chosen, child.weight.detach(), child.bias)
            if name == OUTPUT_LAYER and isinstance(layer, Int8Linear):
                layer.use_dynamic_kernel()
            setattr(model.get_submodule(parent), attr, layer)
    model.eval()
    return model


# --- helpers -----------------------------------------------------------------------------------

# torch packs int4 weights in blocks of this many output rows on AVX-512 CPUs: block b holds,
# for each input k, 32 bytes whose low nibbles are rows 64b..64b+31 and high nibbles rows
# 64b+32..64b+63 (int4mm_kernel.cpp, weight_to_int4pack_kernel).
_BLOCK_ROWS = 64
# Rows quantised or packed at a time: the float32 and int32 temporaries stay a few MB.
_CHUNK_ROWS = 1024


def _row_chunks(weight: torch.Tensor) -> Iterator[tuple[int, torch.Tensor]]:
    """``(first row, float32 rows)`` of ``weight``, a few thousand rows at a time."""
    for start in range(0, weight.shape[0], _CHUNK_ROWS):
        yield start, weight[start : start + _CHUNK_ROWS].detach().float()


def _finish(out: torch.Tensor, bias: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor:
    if bias is not None:
        out = out + bias
    return out.reshape(*x.shape[:-1], out.shape[-1]).to(x.dtype)


def _pack(codes: torch.Tensor) -> torch.Tensor:
    """``codes`` [out, in] in the layout of torch's int4 kernel, a few thousand rows at a
    time (its packing takes int32 codes: 4 bytes a weight). Whole chunks of rows pack
    alike in every layout: each packs its rows in blocks of at most 64."""
    packed = torch.empty(codes.shape[0], codes.shape[1] // 2, dtype=torch.uint8)
    for start in range(0, codes.shape[0], _CHUNK_ROWS):
        part = codes[start : start + _CHUNK_ROWS].to(torch.int32)
        chunk = torch.ops.aten._convert_weight_to_int4pack_for_cpu(part, 1)
        packed[start : start + len(part)] = chunk.view(len(part), -1)
    return packed


def _pack_pairs(codes: torch.Tensor) -> torch.Tensor:
    """Two codes a byte in plain order: input 2j in the low nibble, 2j + 1 in the high."""
    pairs = codes.reshape(codes.shape[0], -1, 2)
    return pairs[..., 0] | (pairs[..., 1] << 4)


def _unpack_blocks(packed: torch.Tensor, out_features: int, in_features: int) -> torch.Tensor:
    """The codes [out, in] of a weight torch packed in 64-row blocks."""
    blocks = packed.reshape(out_features // _BLOCK_ROWS, in_features, _BLOCK_ROWS // 2)
    halves = torch.stack([blocks & 15, blocks >> 4], dim=1)  # [blocks, 2, in, 32]
    return halves.transpose(2, 3).reshape(out_features, in_features)


@functools.cache
def _has_vnni() -> bool:
    """Whether the CPU has VNNI (int8 dot products into int32): without it, fbgemm sums pairs
    of 8-bit products in 16 bits, which full-range activations can overflow."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def _fbgemm_packed(weight_int8: torch.Tensor, scales: torch.Tensor) -> Any:
    """fbgemm's packed form of a per-row int8 weight, or None where this torch has no
    quantised engine that takes it."""
    try:
        with warnings.catch_warnings():
            # torch deprecates its quantised tensor types in favour of torchao; the packed
            # weight is the one such tensor used, only as the fbgemm kernel's input
            warnings.simplefilter("ignore", UserWarning)
            quantised = torch._make_per_channel_quantized_tensor(
                weight_int8,
                scales.double(),
                torch.zeros(len(scales), dtype=torch.long),
                0,
            )
            return torch.ops.quantized.linear_prepack(quantised, None)
    except (RuntimeError, AttributeError, NotImplementedError):
        return None


@functools.cache
def _block_layout_is_torchs() -> bool:
    """Whether this CPU's torch packs int4 weights in the 64-row blocks that
    :func:`_unpack_blocks` reads (AVX-512 does; AVX2 and others use other layouts)."""
    probe = torch.randint(0, 16, (2 * _BLOCK_ROWS, 64), generator=torch.Generator().manual_seed(0))
    codes = probe.to(torch.uint8)
    return torch.equal(_unpack_blocks(_pack(codes), *codes.shape), codes)
