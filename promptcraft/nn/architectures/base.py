"""What an architecture (a decoder family) is: one frozen record of everything that differs
between families, from the block design to how each checkpoint format names its tensors.

Imports neither torch nor the loaders (which do): a family's module is plain tables and
small functions, read by :mod:`promptcraft.nn.config`, :mod:`promptcraft.nn.model` and
:mod:`promptcraft.nn.loaders`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..config import ModelConfig
    from ..loaders.gguf_config import GGUFKeys
    from ..loaders.json_keys import JsonKeys

__all__ = ["Architecture", "Piece"]


@dataclass(frozen=True)
class Piece:
    """Our parameter ``name`` is the row-wise concatenation of ``sources`` (HF name, HF
    shape); ``transposed``: each source is stored [in, out] (GPT-2 Conv1D)."""

    name: str
    sources: tuple[tuple[str, tuple[int, ...]], ...]
    transposed: bool = False


@dataclass(frozen=True)
class Architecture:
    """One decoder family: the block design :class:`~promptcraft.nn.model.Decoder` builds,
    the configurations it accepts, and how Hugging Face and GGUF checkpoints of it are read
    (and Hugging Face ones written).

    A new family is one module that defines one of these, plus one line in
    :data:`promptcraft.nn.architectures.REGISTRY`.
    """

    #: ``ModelConfig.family``
    family: str

    # --- the block design ------------------------------------------------------------------
    #: LayerNorm (weight and bias) or RMSNorm (weight only)
    norm: Literal["layernorm", "rmsnorm"]
    #: a learned table added at the input, or rotary embeddings on queries and keys
    positions: Literal["learned", "rope"]
    #: SwiGLU (``down(silu(gate) * up)``, gate and up fused) instead of ``down(act(up))``
    gated_mlp: bool
    #: the ``ModelConfig.activation`` values the design takes
    activations: tuple[str, ...]
    #: whether keys and values may have fewer heads than queries
    grouped_query: bool
    #: whether the heads must exactly span the residual stream (n_heads * head_dim == dim)
    heads_span_dim: bool

    # --- Hugging Face checkpoints ----------------------------------------------------------
    #: the ``architectures`` names of config.json read as this family
    hf_architectures: tuple[str, ...]
    #: ModelConfig field -> the config.json key that sets it (for error messages)
    hf_keys: Mapping[str, str]
    #: config.json (checked as it is read) -> ModelConfig fields; the second argument is the
    #: ``architectures`` name found
    hf_fields: Callable[[JsonKeys, str], dict[str, Any]]
    #: ModelConfig -> config.json, all but the special tokens (which every family writes alike)
    hf_config: Callable[[ModelConfig], dict[str, Any]]
    #: every parameter and the checkpoint tensors it is made of; ``for_saving``: as
    #: transformers reads the family back
    hf_layout: Callable[[ModelConfig, bool], list[Piece]]
    #: the name of block ``i``'s tensors start with ``f"{hf_block_prefix}.{i}."``
    hf_block_prefix: str
    #: a prefix some checkpoints put before every tensor name (dropped when read, written
    #: before every tensor but the output layer when saved)
    hf_name_prefix: str
    #: why a tensor of a checkpoint is unexpected (``present``) or missing: the config.json
    #: flag to look at (None: nothing specific to say)
    hf_tensor_hint: Callable[[str, bool], str | None]

    # --- GGUF files (llama.cpp) -------------------------------------------------------------
    #: the ``general.architecture`` values read as this family
    gguf_architectures: tuple[str, ...]
    #: the key (after ``{arch}.``) of the normalisation epsilon
    gguf_norm_eps_key: str
    #: the metadata (checked as it is read) -> ModelConfig fields, but the vocabulary size,
    #: the special tokens and ``tie_word_embeddings`` (which every family reads alike)
    gguf_fields: Callable[[GGUFKeys], dict[str, Any]]
    #: GGUF tensor name -> Hugging Face name, outside the blocks
    gguf_names: Mapping[str, str]
    #: GGUF part of a block (``blk.N.<part>``) -> Hugging Face part (``<prefix>.N.<part>``)
    gguf_block: Mapping[str, str]
    #: block parts whose Hugging Face weight is the stored matrix transposed (GPT-2 Conv1D)
    gguf_transposed: frozenset[str] = frozenset()
    #: the ``general.architecture`` values whose query and key rows llama.cpp's converter
    #: interleaved per head (undone when read)
    gguf_interleaved_qk: frozenset[str] = frozenset()

    @property
    def learned_positions(self) -> bool:
        return self.positions == "learned"

    def check(self, config: ModelConfig) -> None:
        """Raise ValueError if ``config`` is not a model of this design."""
        if not self.grouped_query and config.n_kv_heads != config.n_heads:
            raise ValueError(f"{self.family} family has no grouped-query attention")
        if self.heads_span_dim and config.n_heads * config.head_dim != config.dim:
            raise ValueError(f"{self.family}: n_heads * head_dim must equal dim ({config.dim})")
        rope = self.positions == "rope"
        if rope and config.head_dim % 2:
            raise ValueError(f"RoPE needs an even head_dim, got {config.head_dim}")
        if config.activation not in self.activations:
            raise ValueError(self._activation_problem())
        if rope:
            factors = config.rope_scaling and config.rope_scaling.frequency_factors
            if factors and len(factors) != config.head_dim // 2:
                raise ValueError(
                    "RoPE needs one frequency factor per rotated pair "
                    f"({config.head_dim // 2}), got {len(factors)}"
                )

    def _activation_problem(self) -> str:
        if self.gated_mlp:
            return f"{self.family} family uses the SwiGLU (silu) MLP"
        if all(a.startswith("gelu") for a in self.activations):
            return f"{self.family} family uses a GELU activation"
        return f"{self.family} family takes activation {' or '.join(self.activations)}"
