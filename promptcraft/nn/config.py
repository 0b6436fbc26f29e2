"""The shape of a decoder: one config for every family (:mod:`promptcraft.nn.architectures`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from .architectures import Architecture

__all__ = ["ModelConfig", "RopeScaling"]


class RopeScaling(BaseModel):
    """Stretches RoPE to longer contexts.

    ``linear`` divides every frequency by ``factor``. ``llama3`` (Llama 3.1) divides only
    the low frequencies, keeps the high ones and blends in between, so short-range
    attention is unchanged while long-range positions stay distinguishable.
    ``frequency_factors`` divides frequency i by ``frequency_factors[i]``: the form llama.cpp
    stores any such rule in (GGUF's ``rope_freqs.weight``), one factor per rotated pair.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["linear", "llama3", "frequency_factors"]
    factor: float = Field(default=1.0, gt=0.0)
    low_freq_factor: float = Field(default=1.0, gt=0.0)
    high_freq_factor: float = Field(default=4.0, gt=0.0)
    original_max_position_embeddings: int = Field(default=8192, ge=1)
    frequency_factors: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RopeScaling:
        if self.type == "llama3" and self.high_freq_factor <= self.low_freq_factor:
            raise ValueError("rope_scaling high_freq_factor must exceed low_freq_factor")
        factors = self.frequency_factors
        if (self.type == "frequency_factors") != (factors is not None):
            raise ValueError("frequency_factors go with (and only with) type frequency_factors")
        if factors is not None and not all(math.isfinite(f) and f > 0 for f in factors):
            raise ValueError("RoPE frequency factors must be positive and finite")
        return self


class ModelConfig(BaseModel):
    """Everything needed to build a :class:`~promptcraft.nn.model.Decoder`.

    ``family`` picks the block design, an :class:`~promptcraft.nn.architectures.Architecture`
    of the registry: ``gpt2`` (learned positions, LayerNorm, GELU, biases) or ``llama``
    (RoPE, RMSNorm, SwiGLU, grouped-query attention). Mistral and Qwen2 are Llama-family
    configs; Qwen2 sets ``qkv_bias``.

    The last group of fields is not architecture but what the checkpoint says about its
    tokens and chat format, so a loaded model carries everything a backend needs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str = Field(description="The architecture: a name of promptcraft.nn.architectures.")
    vocab_size: int = Field(ge=1)
    dim: int = Field(ge=1, description="Width of the residual stream (hidden_size).")
    n_layers: int = Field(ge=1)
    n_heads: int = Field(ge=1)
    n_kv_heads: int = Field(ge=1, description="Key/value heads; fewer than n_heads is GQA.")
    head_dim: int = Field(ge=1)
    hidden_dim: int = Field(ge=1, description="Width of the MLP (intermediate_size).")
    max_seq_len: int = Field(ge=1, description="Longest context: prompt plus completion.")
    norm_eps: float = Field(gt=0.0)
    activation: Literal["gelu_tanh", "gelu", "silu"]
    rope_theta: float = Field(default=10000.0, gt=0.0)
    rope_scaling: RopeScaling | None = None
    qkv_bias: bool = False
    out_bias: bool = False
    mlp_bias: bool = False
    tie_word_embeddings: bool = False

    bos_token_id: int | None = None
    eos_token_ids: list[int] = Field(default_factory=list)
    pad_token_id: int | None = None
    add_bos_token: bool = False
    chat_template: str | None = None

    @property
    def architecture(self) -> Architecture:
        """The family's :class:`~promptcraft.nn.architectures.Architecture`."""
        from .architectures import architecture_of  # (they read this module)

        return architecture_of(self.family)

    @field_validator("family")
    @classmethod
    def _known_family(cls, family: str) -> str:
        from .architectures import architecture_of

        architecture_of(family)
        return family

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})"
            )
        self.architecture.check(self)
        for name in ("bos_token_id", "pad_token_id"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < self.vocab_size:
                raise ValueError(f"{name} {value} is outside the vocabulary ({self.vocab_size})")
        for value in self.eos_token_ids:
            if not 0 <= value < self.vocab_size:
                raise ValueError(f"eos token id {value} is outside the vocabulary")
        return self
