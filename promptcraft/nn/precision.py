"""The quantised weight precisions a local model loads in: ``dtype="int8"``, ``"int4"`` and
``"int4-g64"`` (int4 with groups of 64 inputs). Names and checks only, without torch, so
the CLI can validate ``--dtype`` before it loads anything; the layers themselves are in
:mod:`promptcraft.nn.quantized`."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "INT4_GROUP_SIZES",
    "OUTPUT_LAYER",
    "QUANTIZED_DTYPES",
    "Quantization",
    "parse_quantization",
]

#: The dtype names that quantise a model's projections.
QUANTIZED_DTYPES = ("int8", "int4")
#: The group sizes torch's int4 kernel takes (``"int4"`` alone means 32, llama.cpp's).
INT4_GROUP_SIZES = (32, 64, 128, 256)
#: The Decoder's output layer (tied to the token embedding in most small models).
OUTPUT_LAYER = "lm_head"
_INT4_NAME = re.compile(r"int4(?:-g(\d+))?")


@dataclass(frozen=True)
class Quantization:
    """How a model's projections are quantised: ``bits`` 8 (a scale per output row) or 4
    (a scale and a zero per ``group_size`` inputs)."""

    bits: int
    group_size: int = 32

    @property
    def name(self) -> str:
        if self.bits == 8:
            return "int8"
        return "int4" if self.group_size == 32 else f"int4-g{self.group_size}"

    def for_layer(self, name: str, out_features: int, in_features: int) -> Quantization:
        """What one projection gets. int4 keeps two kinds of layer at int8, as llama.cpp's
        quantisers keep them at 6 or 8 bits: the output layer, whose 4-bit rounding alone
        cost SmolLM2 5% in perplexity (18.14 against 17.28 over 8,192 tokens; int8 there:
        17.29, with every other layer int4), and any layer whose shape torch's int4 kernel
        cannot take (inputs not whole groups, or output rows not a multiple of 16)."""
        if self.bits == 8:
            return self
        fits = in_features % self.group_size == 0 and out_features % 16 == 0
        return self if fits and name != OUTPUT_LAYER else Quantization(bits=8)


def parse_quantization(dtype: object) -> Quantization | None:
    """The :class:`Quantization` a dtype name asks for (``"int8"``, ``"int4"``,
    ``"int4-g64"``), or None for a float dtype. A malformed int4 name raises ValueError."""
    if dtype == "int8":
        return Quantization(bits=8)
    if not isinstance(dtype, str) or not dtype.startswith("int4"):
        return None
    match = _INT4_NAME.fullmatch(dtype)
    group = int(match[1]) if match and match[1] else 32
    if match is None or group not in INT4_GROUP_SIZES:
        sizes = ", ".join(f"int4-g{g}" for g in INT4_GROUP_SIZES)
        raise ValueError(f"unknown dtype {dtype!r}; int4 takes a group size: int4 (32), {sizes}")
    return Quantization(bits=4, group_size=group)
