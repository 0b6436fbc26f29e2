"""Rotary position embeddings (RoPE), in the rotate-half layout Llama checkpoints use."""

from __future__ import annotations

import math

import torch

from .config import RopeScaling

__all__ = ["apply_rope", "rope_frequencies", "rope_tables"]


def rope_frequencies(
    head_dim: int, theta: float, scaling: RopeScaling | None = None
) -> torch.Tensor:
    """The ``head_dim / 2`` rotation speeds (radians per position), in float32."""
    exponents = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim
    inv_freq = 1.0 / (theta**exponents)
    if scaling is None:
        return inv_freq
    if scaling.type == "linear":
        return inv_freq / scaling.factor
    if scaling.frequency_factors is not None:
        return inv_freq / torch.tensor(scaling.frequency_factors, dtype=torch.float32)
    # llama3: wavelengths longer than the original context / low_freq_factor are slowed by
    # `factor`; shorter than context / high_freq_factor are kept; in between, blend linearly
    # in "how many wavelengths fit in the original context".
    context = scaling.original_max_position_embeddings
    wavelen = 2 * math.pi / inv_freq
    fits = context / wavelen
    blend = (fits - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor)
    blend = blend.clamp(0.0, 1.0)
    return (1 - blend) * inv_freq / scaling.factor + blend * inv_freq


def rope_tables(
    head_dim: int,
    max_len: int,
    theta: float,
    scaling: RopeScaling | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and signed sin for every position, each ``[max_len, head_dim]`` float32.

    Computed once per model, so decoding a token only indexes rows. Llama pairs dim i with
    dim i + head_dim/2 ("rotate half"): rotating the pair (a, b) by angle t gives
    (a cos t - b sin t, b cos t + a sin t). Hence the angle table is repeated to full width,
    and the sin table carries the minus sign on its first half, so that
    ``apply_rope`` needs only a roll, a multiply and a multiply-add.
    """
    inv_freq = rope_frequencies(head_dim, theta, scaling)
    positions = torch.arange(max_len, dtype=torch.float32)
    angles = torch.outer(positions, inv_freq)
    sin = angles.sin()
    return torch.cat([angles, angles], dim=-1).cos(), torch.cat([-sin, sin], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` [..., seq, head_dim] by the angles of its positions (tables from
    :func:`rope_tables`, gathered for the positions and broadcastable to ``x``)."""
    swapped = x.roll(x.shape[-1] // 2, dims=-1)  # (a, b) -> (b, a)
    return torch.addcmul(x * cos, swapped, signed_sin)
