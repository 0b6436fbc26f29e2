"""How Hugging Face tensor names and shapes map onto the Decoder's parameters: the common
language of every tensor source (a GGUF file presents its tensors under these names too).

Each of our parameters is made of one or more checkpoint tensors: Llama's q/k/v
projections are stacked into our fused ``qkv``, gate/up into ``mlp.up``; GPT-2 stores its
linear layers as ``Conv1D`` with the weight transposed ([in, out]).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import ModelConfig

__all__ = ["IGNORED_SUFFIXES", "Piece", "hf_layout", "split_to_hf", "strip_gpt2_prefix"]

# Buffers some checkpoints store that are not weights: GPT-2's causal mask, RoPE's inverse
# frequencies. They are recomputed, so they are skipped when present.
IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq")


@dataclass(frozen=True)
class Piece:
    """Our parameter ``name`` is the row-wise concatenation of ``sources`` (HF name, HF
    shape); ``transposed``: each source is stored [in, out] (GPT-2 Conv1D)."""

    name: str
    sources: tuple[tuple[str, tuple[int, ...]], ...]
    transposed: bool = False


def hf_layout(config: ModelConfig, *, for_saving: bool = False) -> list[Piece]:
    """Every parameter of a Decoder with ``config`` and the checkpoint tensors it comes from.

    A tied ``lm_head`` is omitted (it is the embedding). ``for_saving`` lays a Llama model
    out as LlamaForCausalLM can read it: ``attention_bias`` covers q, k, v and o together.
    """
    if config.family == "gpt2":
        return _gpt2_layout(config)
    return _llama_layout(config, for_saving=for_saving)


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


def strip_gpt2_prefix(name: str) -> str:
    """GPT-2 checkpoints come with and without the ``transformer.`` prefix."""
    return name.removeprefix("transformer.")


def _gpt2_layout(c: ModelConfig) -> list[Piece]:
    d, h = c.dim, c.hidden_dim

    def one(name: str, hf: str, *shape: int, transposed: bool = False) -> Piece:
        return Piece(name, ((hf, shape),), transposed)

    pieces = [one("tok_emb.weight", "wte.weight", c.vocab_size, d)]
    pieces.append(one("pos_emb.weight", "wpe.weight", c.max_seq_len, d))
    for i in range(c.n_layers):
        ours, hf = f"layers.{i}.", f"h.{i}."
        pieces += [
            one(ours + "attn_norm.weight", hf + "ln_1.weight", d),
            one(ours + "attn_norm.bias", hf + "ln_1.bias", d),
            one(ours + "attn.qkv.weight", hf + "attn.c_attn.weight", d, 3 * d, transposed=True),
            one(ours + "attn.qkv.bias", hf + "attn.c_attn.bias", 3 * d),
            one(ours + "attn.out.weight", hf + "attn.c_proj.weight", d, d, transposed=True),
            one(ours + "attn.out.bias", hf + "attn.c_proj.bias", d),
            one(ours + "mlp_norm.weight", hf + "ln_2.weight", d),
            one(ours + "mlp_norm.bias", hf + "ln_2.bias", d),
            one(ours + "mlp.up.weight", hf + "mlp.c_fc.weight", d, h, transposed=True),
            one(ours + "mlp.up.bias", hf + "mlp.c_fc.bias", h),
            one(ours + "mlp.down.weight", hf + "mlp.c_proj.weight", h, d, transposed=True),
            one(ours + "mlp.down.bias", hf + "mlp.c_proj.bias", d),
        ]
    pieces += [one("norm.weight", "ln_f.weight", d), one("norm.bias", "ln_f.bias", d)]
    if not c.tie_word_embeddings:
        pieces.append(one("lm_head.weight", "lm_head.weight", c.vocab_size, d))
    return pieces


def _llama_layout(c: ModelConfig, *, for_saving: bool) -> list[Piece]:
    d, h = c.dim, c.hidden_dim
    q, kv = c.n_heads * c.head_dim, c.n_kv_heads * c.head_dim
    qkv_bias = c.qkv_bias or (for_saving and c.out_bias)
    out_bias = c.out_bias or (for_saving and c.qkv_bias)
    pieces = [Piece("tok_emb.weight", (("model.embed_tokens.weight", (c.vocab_size, d)),))]
    for i in range(c.n_layers):
        ours, hf = f"layers.{i}.", f"model.layers.{i}."
        attn, mlp = hf + "self_attn.", hf + "mlp."
        pieces += [
            Piece(ours + "attn_norm.weight", ((hf + "input_layernorm.weight", (d,)),)),
            Piece(
                ours + "attn.qkv.weight",
                (
                    (attn + "q_proj.weight", (q, d)),
                    (attn + "k_proj.weight", (kv, d)),
                    (attn + "v_proj.weight", (kv, d)),
                ),
            ),
            Piece(ours + "attn.out.weight", ((attn + "o_proj.weight", (d, q)),)),
            Piece(ours + "mlp_norm.weight", ((hf + "post_attention_layernorm.weight", (d,)),)),
            Piece(
                ours + "mlp.up.weight",
                ((mlp + "gate_proj.weight", (h, d)), (mlp + "up_proj.weight", (h, d))),
            ),
            Piece(ours + "mlp.down.weight", ((mlp + "down_proj.weight", (d, h)),)),
        ]
        if qkv_bias:
            sources = (
                (attn + "q_proj.bias", (q,)),
                (attn + "k_proj.bias", (kv,)),
                (attn + "v_proj.bias", (kv,)),
            )
            pieces.append(Piece(ours + "attn.qkv.bias", sources))
        if out_bias:
            pieces.append(Piece(ours + "attn.out.bias", ((attn + "o_proj.bias", (d,)),)))
        if c.mlp_bias:
            gate_up = ((mlp + "gate_proj.bias", (h,)), (mlp + "up_proj.bias", (h,)))
            pieces.append(Piece(ours + "mlp.up.bias", gate_up))
            pieces.append(Piece(ours + "mlp.down.bias", ((mlp + "down_proj.bias", (d,)),)))
    pieces.append(Piece("norm.weight", (("model.norm.weight", (d,)),)))
    if not c.tie_word_embeddings:
        pieces.append(Piece("lm_head.weight", (("lm_head.weight", (c.vocab_size, d)),)))
    return pieces
