"""Llama: rotary positions (RoPE), RMSNorm, a SwiGLU MLP and grouped-query attention.
Mistral and Qwen2 are Llama-family configs (Qwen2 sets ``qkv_bias``).

Hugging Face: ``LlamaForCausalLM``, ``MistralForCausalLM``, ``Qwen2ForCausalLM``, in the key
spellings of transformers 4.x (``rope_theta`` + ``rope_scaling``, with the legacy ``type``
key) and 5.x (``rope_parameters``). GGUF: ``general.architecture`` ``llama`` and ``qwen2``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...errors import ModelLoadError
from ..config import RopeScaling
from .base import Architecture, Piece

if TYPE_CHECKING:
    from ...utils.gguf_header import GGUFFile
    from ..config import ModelConfig
    from ..loaders.gguf_config import GGUFKeys
    from ..loaders.json_keys import JsonKeys

__all__ = ["ARCHITECTURE"]

_NORM_EPS_KEY = "attention.layer_norm_rms_epsilon"


# --- Hugging Face config.json ----------------------------------------------------------------


def _hf_fields(keys: JsonKeys, architecture: str) -> dict[str, Any]:
    source = keys.source
    activation = keys.text("hidden_act", "silu")
    if activation != "silu":
        raise keys.error("hidden_act", f"{activation!r} is not supported (only 'silu')")
    dim, heads = keys.integer("hidden_size"), keys.integer("num_attention_heads")
    kv_heads = keys.integer("num_key_value_heads", heads)
    if heads % kv_heads:
        raise ModelLoadError(
            f"{source}: num_attention_heads ({heads}) must be a multiple of "
            f"num_key_value_heads ({kv_heads})",
            path=source,
        )
    head_dim = keys.integer("head_dim", None)
    if head_dim is None:
        if dim % heads:
            raise ModelLoadError(
                f"{source}: hidden_size ({dim}) must be a multiple of num_attention_heads "
                f"({heads}), or head_dim must be given",
                path=source,
            )
        head_dim = dim // heads
        if head_dim % 2:
            raise ModelLoadError(
                f"{source}: hidden_size / num_attention_heads ({dim} / {heads} = {head_dim}) "
                "must be even for rotary position embeddings",
                path=source,
            )
    elif head_dim % 2:
        raise keys.error("head_dim", f"({head_dim}) must be even for rotary position embeddings")
    theta, scaling = _hf_rope(keys)
    qwen2 = architecture == "Qwen2ForCausalLM"
    attention_bias = keys.flag("attention_bias", False)
    max_len = keys.integer("max_position_embeddings", 2048)
    # We have no sliding-window attention; capping the context at the window keeps every
    # result exact (within the window, sliding and full attention agree).
    window = keys.data.get("sliding_window")
    uses_window = keys.data.get("use_sliding_window", not qwen2)
    if uses_window and isinstance(window, int) and not isinstance(window, bool) and window > 0:
        max_len = min(max_len, window)
    return {
        "family": "llama",
        "vocab_size": keys.integer("vocab_size"),
        "dim": dim,
        "n_layers": keys.integer("num_hidden_layers"),
        "n_heads": heads,
        "n_kv_heads": kv_heads,
        "head_dim": head_dim,
        "hidden_dim": keys.integer("intermediate_size"),
        "max_seq_len": max_len,
        "norm_eps": keys.number("rms_norm_eps", 1e-6),
        "activation": "silu",
        "rope_theta": theta,
        "rope_scaling": scaling,
        "qkv_bias": qwen2 or attention_bias,
        "out_bias": attention_bias and not qwen2,
        "mlp_bias": keys.flag("mlp_bias", False),
        "tie_word_embeddings": keys.flag("tie_word_embeddings", False),
    }


def _hf_rope(keys: JsonKeys) -> tuple[float, RopeScaling | None]:
    from ..loaders.json_keys import JsonKeys, show_json

    params = keys.nested("rope_parameters")
    legacy = keys.nested("rope_scaling")
    if params is not None:
        theta = params.number("rope_theta", None) or keys.number("rope_theta", 10000.0)
        scaling = params
    else:
        theta = keys.number("rope_theta", 10000.0)
        scaling = legacy or JsonKeys({}, keys.source, keys.architecture, "rope_scaling.")
    partial = scaling.data.get("partial_rotary_factor", keys.data.get("partial_rotary_factor"))
    if partial not in (None, 1, 1.0):
        raise keys.error("partial_rotary_factor", f"= {show_json(partial)} is not supported")
    type_key = "rope_type" if "rope_type" in scaling.data else "type"
    kind = scaling.text(type_key, "default")
    if kind == "default":
        return theta, None
    if kind not in ("linear", "llama3"):
        raise scaling.error(
            type_key, f"{kind!r} is not supported (supported: default, linear, llama3)"
        )
    factor = scaling.number("factor")
    if kind == "linear":
        return theta, RopeScaling(type="linear", factor=factor)
    low = scaling.number("low_freq_factor", 1.0)
    high = scaling.number("high_freq_factor", 4.0)
    if high <= low:
        raise scaling.error(
            "high_freq_factor", f"({high}) must exceed low_freq_factor ({low}) for llama3 RoPE"
        )
    original = scaling.integer("original_max_position_embeddings", 8192)
    return theta, RopeScaling(
        type="llama3",
        factor=factor,
        low_freq_factor=low,
        high_freq_factor=high,
        original_max_position_embeddings=original,
    )


def _hf_config(config: ModelConfig) -> dict[str, Any]:
    """Written as LlamaForCausalLM; a Qwen2-style model (biases on q/k/v only) sets
    ``attention_bias`` and is saved with a zero o_proj bias."""
    rope: dict[str, Any] = {"rope_type": "default", "rope_theta": config.rope_theta}
    scaling = None
    if config.rope_scaling is not None and config.rope_scaling.type == "frequency_factors":
        raise ValueError(
            "this model's RoPE frequencies are scaled by per-frequency factors (from a GGUF "
            "file's rope_freqs.weight), which config.json cannot express"
        )
    if config.rope_scaling is not None:
        scaling = config.rope_scaling.model_dump(exclude={"frequency_factors"})
        scaling["rope_type"] = scaling.pop("type")
        rope.update(scaling)
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config.vocab_size,
        "hidden_size": config.dim,
        "num_hidden_layers": config.n_layers,
        "num_attention_heads": config.n_heads,
        "num_key_value_heads": config.n_kv_heads,
        "head_dim": config.head_dim,
        "intermediate_size": config.hidden_dim,
        "max_position_embeddings": config.max_seq_len,
        "rms_norm_eps": config.norm_eps,
        "hidden_act": "silu",
        "attention_bias": config.qkv_bias or config.out_bias,
        "mlp_bias": config.mlp_bias,
        # Both spellings: transformers 5 reads rope_parameters, 4.x the other two.
        "rope_parameters": rope,
        "rope_theta": config.rope_theta,
        "rope_scaling": scaling,
    }


def _hf_layout(c: ModelConfig, for_saving: bool) -> list[Piece]:
    """q/k/v are stacked into our fused ``qkv``, gate/up into ``mlp.up``. ``for_saving``: as
    LlamaForCausalLM reads it, whose ``attention_bias`` covers q, k, v and o together."""
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


def _hf_tensor_hint(hf_name: str, present: bool) -> str | None:
    """A bias is there or not as config.json's flags say."""
    if not hf_name.endswith(".bias"):
        return None
    flag = "mlp_bias" if ".mlp." in hf_name else "attention_bias"
    value = "false" if present else "true"
    return f" (config.json has {flag} = {value}, or implies it for this architecture)"


# --- GGUF metadata ---------------------------------------------------------------------------


def _gguf_fields(keys: GGUFKeys) -> dict[str, Any]:
    tensors = keys.gguf.tensors
    dim, heads = keys.integer("embedding_length"), keys.integer("attention.head_count")
    kv_heads = keys.integer("attention.head_count_kv", heads)
    keys.multiple("attention.head_count", heads, "attention.head_count_kv", kv_heads)
    head_dim = keys.integer("attention.key_length", None)
    if head_dim is None:
        keys.multiple("embedding_length", dim, "attention.head_count", heads)
        head_dim = dim // heads
    if head_dim % 2:
        raise keys.gguf.error(
            f"heads of {head_dim} dimensions (metadata key {keys.name('attention.key_length')!r} "
            "or embedding_length / head_count) must be even for rotary position embeddings"
        )
    for key in ("rope.dimension_count", "attention.value_length"):
        value = keys.integer(key, head_dim)
        if value != head_dim:
            raise keys.gguf.error(
                f"metadata key {keys.name(key)!r} is {value}, but heads have {head_dim} "
                "dimensions: partial rotary embeddings and unequal key/value sizes are not "
                "supported"
            )
    return {
        "family": "llama",
        "dim": dim,
        "n_layers": keys.integer("block_count"),
        "n_heads": heads,
        "n_kv_heads": kv_heads,
        "head_dim": head_dim,
        "hidden_dim": keys.integer("feed_forward_length"),
        "max_seq_len": keys.integer("context_length"),
        "norm_eps": keys.number(_NORM_EPS_KEY),
        "activation": "silu",
        "rope_theta": keys.number("rope.freq_base", 10000.0),
        "rope_scaling": _gguf_rope_scaling(keys, head_dim),
        # qwen2 always has q/k/v biases; llama.cpp's llama takes them when the file has them
        "qkv_bias": keys.arch == "qwen2" or "blk.0.attn_q.bias" in tensors,
        "out_bias": "blk.0.attn_output.bias" in tensors,
        "mlp_bias": "blk.0.ffn_down.bias" in tensors,
    }


def _gguf_rope_scaling(keys: GGUFKeys, head_dim: int) -> RopeScaling | None:
    gguf = keys.gguf
    kind_key = keys.name("rope.scaling.type")
    kind = gguf.get(kind_key, str)
    factors = gguf.tensors.get("rope_freqs.weight")
    if factors is not None:
        if kind not in (None, "none"):
            raise gguf.error(
                f"metadata key {kind_key!r} is {kind!r} and the file also has per-frequency "
                "factors (tensor 'rope_freqs.weight'): the two together are not supported"
            )
        values = _gguf_rope_factors(gguf, factors, head_dim)
        if all(value == 1.0 for value in values):
            return None
        return RopeScaling(type="frequency_factors", frequency_factors=values)
    if kind in (None, "none"):
        legacy = keys.number("rope.scale_linear", 1.0)  # older files' spelling of linear
        return None if legacy == 1.0 else RopeScaling(type="linear", factor=legacy)
    if kind != "linear":
        raise gguf.error(
            f"metadata key {kind_key!r} is {kind!r}, which is not supported (supported: none, "
            "linear; Llama 3.1's scaling is read from the tensor rope_freqs.weight)"
        )
    return RopeScaling(type="linear", factor=keys.number("rope.scaling.factor"))


def _gguf_rope_factors(gguf: GGUFFile, tensor: Any, head_dim: int) -> tuple[float, ...]:
    """Llama 3.1's RoPE scaling as llama.cpp stores it: frequency i is divided by
    ``rope_freqs.weight[i]``."""
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    name, pairs = "rope_freqs.weight", head_dim // 2
    if tensor.tensor_type not in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
        raise gguf.error(f"has type {tensor.tensor_type.name}; expected F32", tensor=name)
    if [int(d) for d in tensor.shape] != [pairs]:
        raise gguf.error(
            f"has shape {[int(d) for d in tensor.shape]}; expected [{pairs}] (one factor per "
            f"rotated pair of a {head_dim}-dimensional head)",
            tensor=name,
        )
    values = tuple(float(v) for v in dequantize(tensor.data, tensor.tensor_type))
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise gguf.error("holds factors that are not positive and finite", tensor=name)
    return values


ARCHITECTURE = Architecture(
    family="llama",
    norm="rmsnorm",
    positions="rope",
    gated_mlp=True,
    activations=("silu",),
    grouped_query=True,
    heads_span_dim=False,
    hf_architectures=("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"),
    hf_keys={
        "dim": "hidden_size",
        "n_layers": "num_hidden_layers",
        "n_heads": "num_attention_heads",
        "n_kv_heads": "num_key_value_heads",
        "hidden_dim": "intermediate_size",
        "max_seq_len": "max_position_embeddings",
        "norm_eps": "rms_norm_eps",
        "activation": "hidden_act",
        "qkv_bias": "attention_bias",
        "out_bias": "attention_bias",
        "rope_scaling": "rope_parameters",
        "eos_token_ids": "eos_token_id",
    },
    hf_fields=_hf_fields,
    hf_config=_hf_config,
    hf_layout=_hf_layout,
    hf_block_prefix="model.layers",
    hf_name_prefix="",
    hf_tensor_hint=_hf_tensor_hint,
    gguf_architectures=("llama", "qwen2"),
    gguf_norm_eps_key=_NORM_EPS_KEY,
    gguf_fields=_gguf_fields,
    gguf_names={
        "token_embd.weight": "model.embed_tokens.weight",
        "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight",
    },
    gguf_block={
        "attn_norm": "input_layernorm",
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_norm": "post_attention_layernorm",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
    },
    # llama.cpp's converter permutes Llama's query and key rows (LlamaModel.permute), not
    # Qwen2's
    gguf_interleaved_qk=frozenset({"llama"}),
)
