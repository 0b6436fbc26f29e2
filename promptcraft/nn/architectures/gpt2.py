"""GPT-2: learned positions, LayerNorm, a GELU MLP, biases everywhere, and linear layers
stored as ``Conv1D`` (weight [in, out]) in its checkpoints.

Hugging Face: ``GPT2LMHeadModel``. GGUF: ``general.architecture`` ``gpt2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ModelLoadError
from .base import Architecture, Piece

if TYPE_CHECKING:
    from ..config import ModelConfig
    from ..loaders.gguf_config import GGUFKeys
    from ..loaders.json_keys import JsonKeys

__all__ = ["ARCHITECTURE"]

# config.json activation_function -> ModelConfig.activation
_HF_ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu"}
_NORM_EPS_KEY = "attention.layer_norm_epsilon"


def _hf_fields(keys: JsonKeys, architecture: str) -> dict[str, Any]:
    from ..loaders.json_keys import show_json

    activation = keys.text("activation_function", "gelu_new")
    if activation not in _HF_ACTIVATIONS:
        raise keys.error(
            "activation_function",
            f"{activation!r} is not supported (supported: {', '.join(_HF_ACTIVATIONS)})",
        )
    for flag, wanted in [
        ("scale_attn_weights", True),
        ("scale_attn_by_inverse_layer_idx", False),
        ("add_cross_attention", False),
    ]:
        if keys.data.get(flag, wanted) != wanted:
            raise keys.error(flag, f"= {show_json(keys.data[flag])} is not supported")
    dim, heads = keys.integer("n_embd"), keys.integer("n_head")
    if dim % heads:
        raise ModelLoadError(
            f"{keys.source}: n_embd ({dim}) must be a multiple of n_head ({heads})",
            path=keys.source,
        )
    return {
        "family": "gpt2",
        "vocab_size": keys.integer("vocab_size"),
        "dim": dim,
        "n_layers": keys.integer("n_layer"),
        "n_heads": heads,
        "n_kv_heads": heads,
        "head_dim": dim // heads,
        "hidden_dim": keys.integer("n_inner", 4 * dim),
        "max_seq_len": keys.integer("n_positions"),
        "norm_eps": keys.number("layer_norm_epsilon", 1e-5),
        "activation": _HF_ACTIVATIONS[activation],
        "qkv_bias": True,
        "out_bias": True,
        "mlp_bias": True,
        "tie_word_embeddings": keys.flag("tie_word_embeddings", True),
    }


def _hf_config(config: ModelConfig) -> dict[str, Any]:
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_embd": config.dim,
        "n_layer": config.n_layers,
        "n_head": config.n_heads,
        "n_inner": config.hidden_dim,
        "n_positions": config.max_seq_len,
        "layer_norm_epsilon": config.norm_eps,
        "activation_function": "gelu_new" if config.activation == "gelu_tanh" else "gelu",
    }


def _hf_layout(c: ModelConfig, for_saving: bool) -> list[Piece]:
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


def _gguf_fields(keys: GGUFKeys) -> dict[str, Any]:
    dim, heads = keys.integer("embedding_length"), keys.integer("attention.head_count")
    keys.multiple("embedding_length", dim, "attention.head_count", heads)
    kv_heads = keys.integer("attention.head_count_kv", heads)
    if kv_heads != heads:
        raise keys.gguf.error(
            f"metadata key {keys.name('attention.head_count_kv')!r} is {kv_heads}: gpt2 has "
            "no grouped-query attention"
        )
    return {
        "family": "gpt2",
        "dim": dim,
        "n_layers": keys.integer("block_count"),
        "n_heads": heads,
        "n_kv_heads": heads,
        "head_dim": dim // heads,
        "hidden_dim": keys.integer("feed_forward_length", 4 * dim),
        "max_seq_len": keys.integer("context_length"),
        "norm_eps": keys.number(_NORM_EPS_KEY),
        "activation": "gelu_tanh",  # ggml's GELU is the tanh approximation, as GPT-2's
        "qkv_bias": True,
        "out_bias": True,
        "mlp_bias": True,
    }


ARCHITECTURE = Architecture(
    family="gpt2",
    norm="layernorm",
    positions="learned",
    gated_mlp=False,
    activations=("gelu_tanh", "gelu"),
    grouped_query=False,
    heads_span_dim=True,
    hf_architectures=("GPT2LMHeadModel",),
    hf_keys={
        "dim": "n_embd",
        "n_layers": "n_layer",
        "n_heads": "n_head",
        "n_kv_heads": "n_head",
        "head_dim": "n_embd / n_head",
        "hidden_dim": "n_inner",
        "max_seq_len": "n_positions",
        "norm_eps": "layer_norm_epsilon",
        "activation": "activation_function",
        "eos_token_ids": "eos_token_id",
    },
    hf_fields=_hf_fields,
    hf_config=_hf_config,
    hf_layout=_hf_layout,
    hf_block_prefix="h",
    hf_name_prefix="transformer.",
    hf_tensor_hint=lambda name, present: None,
    gguf_architectures=("gpt2",),
    gguf_norm_eps_key=_NORM_EPS_KEY,
    gguf_fields=_gguf_fields,
    gguf_names={
        "token_embd.weight": "wte.weight",
        "position_embd.weight": "wpe.weight",
        "output_norm.weight": "ln_f.weight",
        "output_norm.bias": "ln_f.bias",
        "output.weight": "lm_head.weight",
    },
    gguf_block={
        "attn_norm": "ln_1",
        "attn_qkv": "attn.c_attn",
        "attn_output": "attn.c_proj",
        "ffn_norm": "ln_2",
        "ffn_up": "mlp.c_fc",
        "ffn_down": "mlp.c_proj",
    },
    gguf_transposed=frozenset({"attn_qkv", "attn_output", "ffn_up", "ffn_down"}),
)
