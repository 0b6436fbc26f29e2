"""The decoder: one readable implementation of the GPT-2 and Llama block designs.

The two families differ in four places only, each chosen by the family's
:class:`~promptcraft.nn.architectures.Architecture` (``config.architecture``):

==============  ===========================  ================================
                GPT-2                        Llama (also Mistral, Qwen2)
==============  ===========================  ================================
positions       learned table added at input rotary (RoPE) on queries and keys
norm            LayerNorm (weight + bias)    RMSNorm (weight only)
MLP             up → GELU(tanh) → down       down(silu(gate) * up)  (SwiGLU)
attention       heads == kv heads            grouped-query (fewer kv heads)
==============  ===========================  ================================

Query/key/value projections are fused into one matrix and SwiGLU's gate/up into another,
so a decoding step runs two matrix-vector products per block instead of five: on a CPU
each product has a fixed cost beyond reading its weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .kv_cache import KVCache
from .rope import apply_rope, rope_tables

__all__ = ["Decoder"]

Rope = tuple[torch.Tensor, torch.Tensor]
# One layer's trained key/value prefix, each [batch or 1, kv_heads, prefix_len, head_dim].
KVPrefixLayer = tuple[torch.Tensor, torch.Tensor]


def _norm(config: ModelConfig) -> nn.Module:
    if config.architecture.norm == "layernorm":
        return nn.LayerNorm(config.dim, eps=config.norm_eps)
    return nn.RMSNorm(config.dim, eps=config.norm_eps)


class Attention(nn.Module):
    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        self.layer = layer  # which cache rows are ours
        self.n_heads, self.n_kv_heads = config.n_heads, config.n_kv_heads
        self.head_dim = config.head_dim
        q_dim, kv_dim = config.n_heads * config.head_dim, config.n_kv_heads * config.head_dim
        self.qkv = nn.Linear(config.dim, q_dim + 2 * kv_dim, bias=config.qkv_bias)
        self.out = nn.Linear(q_dim, config.dim, bias=config.out_bias)

    def forward(
        self,
        x: torch.Tensor,
        rope: Rope | None,
        cache: KVCache | None,
        start: int,
        mask: torch.Tensor | None,
        prefix: KVPrefixLayer | None = None,
    ) -> torch.Tensor:
        batch, n, _ = x.shape
        heads, kv_heads = self.n_heads, self.n_kv_heads
        # One projection, one view: [batch, heads + 2 * kv_heads, n, head_dim].
        qkv = self.qkv(x).view(batch, n, -1, self.head_dim).transpose(1, 2)
        v = qkv[:, heads + kv_heads :]
        if rope is None:
            q, k = qkv[:, :heads], qkv[:, heads : heads + kv_heads]
        else:  # queries and keys rotate by the same angles: one call for both
            q, k = apply_rope(qkv[:, : heads + kv_heads], *rope).split([heads, kv_heads], dim=1)
        if cache is not None:
            k, v = cache.write(self.layer, start, k, v)
        elif prefix is not None:  # prefix tuning: keys/values every token sees first
            k = torch.cat([prefix[0].expand(batch, -1, -1, -1), k], dim=2)
            v = torch.cat([prefix[1].expand(batch, -1, -1, -1), v], dim=2)
        # Without a mask, one query attends to every cached key (decoding), and a block of
        # queries that starts at slot 0 is plain causal attention (prefill).
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            is_causal=mask is None and n > 1,
            enable_gqa=self.n_kv_heads != self.n_heads,
        )
        return self.out(y.transpose(1, 2).reshape(batch, n, -1))


class MLP(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gated = config.architecture.gated_mlp
        # SwiGLU needs two input projections (gate and up); one fused matrix holds both.
        up_dim = 2 * config.hidden_dim if self.gated else config.hidden_dim
        self.up = nn.Linear(config.dim, up_dim, bias=config.mlp_bias)
        self.down = nn.Linear(config.hidden_dim, config.dim, bias=config.mlp_bias)
        self.approximate = "tanh" if config.activation == "gelu_tanh" else "none"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)
        if self.gated:
            gate, up = h.chunk(2, dim=-1)
            return self.down(F.silu(gate) * up)
        return self.down(F.gelu(h, approximate=self.approximate))


class Block(nn.Module):
    """Pre-norm residual block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        self.attn_norm = _norm(config)
        self.attn = Attention(config, layer)
        self.mlp_norm = _norm(config)
        self.mlp = MLP(config)

    def forward(
        self,
        x: torch.Tensor,
        rope: Rope | None,
        cache: KVCache | None,
        start: int,
        mask: torch.Tensor | None,
        prefix: KVPrefixLayer | None = None,
    ) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), rope, cache, start, mask, prefix)
        return x + self.mlp(self.mlp_norm(x))


class Decoder(nn.Module):
    """A decoder-only Transformer language model."""

    rope_cos: torch.Tensor | None
    rope_sin: torch.Tensor | None

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.dim)
        # GPT-2 learns one vector per position; Llama rotates queries and keys instead.
        self.pos_emb = nn.Embedding(config.max_seq_len, config.dim) if self.learned_pos else None
        self.layers = nn.ModuleList(Block(config, i) for i in range(config.n_layers))
        self.norm = _norm(config)
        self.lm_head = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.tie_weights()
        # Derived, not learned: kept out of the state dict.
        self.register_buffer("rope_cos", None, persistent=False)
        self.register_buffer("rope_sin", None, persistent=False)
        self.reset_rope()
        self.apply(self._init_weights)
        # Residual projections add to the stream once per block; scaling their init by
        # 1/sqrt(2 * n_layers) keeps the stream's variance flat with depth (GPT-2 paper).
        for name, param in self.named_parameters():
            if name.endswith(("attn.out.weight", "mlp.down.weight")):
                nn.init.normal_(param, std=0.02 / math.sqrt(2 * config.n_layers))

    @property
    def learned_pos(self) -> bool:
        return self.config.architecture.learned_positions

    @property
    def dtype(self) -> torch.dtype:
        """The precision activations are computed in (the final norm's). A quantised model
        computes in float32 (its token embedding is int8 rows)."""
        weight = self.norm.weight
        assert isinstance(weight, torch.Tensor)
        return weight.dtype

    @property
    def device(self) -> torch.device:
        weight = self.norm.weight  # (a quantised embedding has no float weight)
        assert isinstance(weight, torch.Tensor)
        return weight.device

    def fingerprint(self) -> str:
        """A short digest of the weights that changes after any training step (see
        :func:`~promptcraft.nn.fingerprint.weights_fingerprint`)."""
        from .fingerprint import weights_fingerprint

        return weights_fingerprint(self)

    def tie_weights(self) -> None:
        """With ``tie_word_embeddings``, reading and writing tokens share one matrix: fewer
        parameters, and every output row also learns from the input side. (Re-tie after
        anything that replaces parameters, such as ``to_empty``.)"""
        if self.config.tie_word_embeddings and isinstance(self.lm_head, nn.Linear):
            self.lm_head.weight = self.tok_emb.weight  # (a quantised head keeps its copy)

    def reset_rope(self) -> None:
        """(Re)compute the RoPE tables on the model's device and in its dtype.

        A model built on the meta device (to load weights without a useless random init)
        calls this once its weights are real.
        """
        if self.learned_pos:
            return
        c = self.config
        cos, sin = rope_tables(c.head_dim, c.max_seq_len, c.rope_theta, c.rope_scaling)
        self.rope_cos = cos.to(self.device, self.dtype)
        self.rope_sin = sin.to(self.device, self.dtype)

    def use_fast_layout(self, *, keep_values: bool = True) -> None:
        """Store each projection matrix in the memory order that decoding reads fastest.

        Decoding one token is a matrix-vector product per projection, limited by how fast
        the weights stream from memory. On CPUs, PyTorch's float32 kernels stream a
        column-major matrix (each input's weights contiguous, as GPT-2's Conv1D stores them)
        about 1.3x faster than a row-major one, while its bfloat16 kernels prefer row-major.
        Shapes, values and the state dict are unchanged; only strides differ. Cheap when
        the layout is already right. ``keep_values=False`` only re-allocates (for a model
        whose weights are about to be loaded).

        The layout is chosen once: the loader allocates the weights in it
        (:func:`~promptcraft.nn.loaders.assemble.build_decoder`) and a
        :class:`~promptcraft.nn.Generator` settles it when built; no generation call lays
        weights out again. Call it again after moving the model to another dtype or device.
        """
        column_major = self.dtype == torch.float32 and self.device.type == "cpu"
        for module in self.modules():
            if not isinstance(module, nn.Linear):
                continue
            weight = module.weight
            if (weight.stride(0) == 1) == column_major:
                continue
            rows, cols = weight.shape
            strides = (1, rows) if column_major else (cols, 1)
            fresh = torch.empty_strided(
                weight.shape, strides, dtype=weight.dtype, device=weight.device
            )
            if keep_values:
                with torch.no_grad():
                    fresh.copy_(weight)
            weight.data = fresh

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(
        self,
        tokens: torch.Tensor,
        *,
        positions: torch.Tensor | None = None,
        cache: KVCache | None = None,
        start: int = 0,
        mask: torch.Tensor | None = None,
        last_only: bool = False,
        skip_head: bool = False,
        embeds: torch.Tensor | None = None,
        kv_prefix: Sequence[KVPrefixLayer] | None = None,
    ) -> torch.Tensor:
        """Logits ``[batch, n, vocab]`` for ``tokens`` ``[batch, n]``.

        - ``positions`` [batch, n]: each token's position; default ``start .. start+n``.
        - ``cache``: keys/values are written to slots ``start .. start+n`` and attention reads
          slots ``0 .. start+n``. Without a cache, attention sees only ``tokens``.
        - ``mask`` [batch, 1, n, keys] bool, True where a query may attend a key. Default:
          causal.
        - ``last_only``: logits of the last position only (all that sampling needs), which
          skips most of the vocabulary projection during prefill.
        - ``skip_head``: the final norm's output ``[batch, n, dim]`` instead of logits, for a
          caller that applies the output layer its own way.
        - ``embeds`` [batch or 1, m, dim]: input vectors placed before the tokens' own
          embeddings (prompt tuning's virtual tokens); ``tokens`` may then be empty.
        - ``kv_prefix``: per layer, keys and values [batch or 1, kv_heads, p, head_dim] that
          every token attends to before the others (prefix tuning, without a cache); pass
          ``start=p`` so positions and the causal mask count them.
        """
        x = self.tok_emb(tokens).to(self.dtype)
        if embeds is not None:
            x = torch.cat([embeds.to(x.dtype).expand(x.shape[0], -1, -1), x], dim=1)
        n = x.shape[1]
        earlier_keys = cache is not None or kv_prefix is not None
        if mask is None and earlier_keys and start > 0 and n > 1:
            # A block of queries after cached slots: query i sees keys 0 .. start+i.
            query_slot = torch.arange(start, start + n, device=tokens.device)
            mask = query_slot[:, None] >= torch.arange(start + n, device=tokens.device)
        rope: Rope | None = None
        if self.pos_emb is not None:
            x = x + (
                self.pos_emb.weight[start : start + n]
                if positions is None
                else self.pos_emb(positions)
            )
        else:
            assert self.rope_cos is not None and self.rope_sin is not None
            if positions is None:
                rope = self.rope_cos[start : start + n], self.rope_sin[start : start + n]
            else:
                rope = self.rope_cos[positions].unsqueeze(1), self.rope_sin[positions].unsqueeze(1)
        for i, block in enumerate(self.layers):
            x = block(x, rope, cache, start, mask, None if kv_prefix is None else kv_prefix[i])
        if last_only:
            x = x[:, -1:]
        x = self.norm(x)
        return x if skip_head else self.lm_head(x)
