"""Translate Hugging Face ``config.json`` (and its companion files) to and from ModelConfig.

Covers GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM, in the
key spellings of transformers 4.x (``rope_theta`` + ``rope_scaling``, with the legacy
``type`` key) and 5.x (``rope_parameters``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import ModelLoadError
from .config import ModelConfig, RopeScaling

__all__ = ["ARCHITECTURES", "config_from_hf", "config_to_hf"]

# architecture name in config.json -> our family
ARCHITECTURES = {
    "GPT2LMHeadModel": "gpt2",
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "llama",
}

_GPT2_ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu"}


def config_from_hf(
    hf: dict[str, Any],
    *,
    source: str,
    generation: dict[str, Any] | None = None,
    tokenizer_config: dict[str, Any] | None = None,
    chat_template: str | None = None,
) -> ModelConfig:
    """Build a ModelConfig from the parsed ``config.json``; ``source`` names that file in
    errors. ``generation`` (generation_config.json) overrides its special token ids."""
    architecture = _architecture(hf, source)
    try:
        fields = _gpt2_fields(hf, source) if architecture == "GPT2LMHeadModel" else None
        if fields is None:
            fields = _llama_fields(hf, architecture, source)
        fields.update(_token_fields(hf, generation or {}, tokenizer_config or {}))
        fields["chat_template"] = chat_template or _template_from(tokenizer_config or {})
        return ModelConfig(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ModelLoadError(f"{source}: invalid value ({problems})", path=source) from None
    except (KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"{source}: missing or malformed key {exc} for {architecture}", path=source
        ) from None


def config_to_hf(config: ModelConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """``config.json`` and ``generation_config.json`` contents for ``config``.

    Llama-family models are written as LlamaForCausalLM; a Qwen2-style model (biases on
    q/k/v only) sets ``attention_bias`` and is saved with a zero o_proj bias.
    """
    if config.family == "gpt2":
        hf: dict[str, Any] = {
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
    else:
        rope: dict[str, Any] = {"rope_type": "default", "rope_theta": config.rope_theta}
        scaling = None
        if config.rope_scaling is not None:
            scaling = config.rope_scaling.model_dump()
            scaling["rope_type"] = scaling.pop("type")
            rope.update(scaling)
        hf = {
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
    eos = config.eos_token_ids[0] if len(config.eos_token_ids) == 1 else config.eos_token_ids
    tokens = {
        "bos_token_id": config.bos_token_id,
        "eos_token_id": eos or None,
        "pad_token_id": config.pad_token_id,
    }
    hf.update(tokens, tie_word_embeddings=config.tie_word_embeddings)
    return hf, dict(tokens)


def _architecture(hf: dict[str, Any], source: str) -> str:
    names = hf.get("architectures") or []
    if not isinstance(names, list) or not names:
        raise ModelLoadError(f"{source}: no 'architectures' entry", path=source)
    for name in names:
        if name in ARCHITECTURES:
            return str(name)
    raise ModelLoadError(
        f"{source}: unsupported architecture {names[0]!r}; "
        f"supported: {', '.join(sorted(ARCHITECTURES))}",
        path=source,
    )


def _gpt2_fields(hf: dict[str, Any], source: str) -> dict[str, Any]:
    activation = hf.get("activation_function", "gelu_new")
    if activation not in _GPT2_ACTIVATIONS:
        raise ModelLoadError(
            f"{source}: activation_function {activation!r} is not supported "
            f"(supported: {', '.join(_GPT2_ACTIVATIONS)})",
            path=source,
        )
    for flag, wanted in [
        ("scale_attn_weights", True),
        ("scale_attn_by_inverse_layer_idx", False),
        ("add_cross_attention", False),
    ]:
        if hf.get(flag, wanted) != wanted:
            raise ModelLoadError(f"{source}: {flag}={hf[flag]} is not supported", path=source)
    dim, heads = hf["n_embd"], hf["n_head"]
    if not isinstance(dim, int) or not isinstance(heads, int) or heads < 1 or dim % heads:
        raise ModelLoadError(
            f"{source}: n_embd ({dim}) must be a multiple of n_head ({heads})", path=source
        )
    return {
        "family": "gpt2",
        "vocab_size": hf["vocab_size"],
        "dim": dim,
        "n_layers": hf["n_layer"],
        "n_heads": heads,
        "n_kv_heads": heads,
        "head_dim": dim // heads,
        "hidden_dim": hf.get("n_inner") or 4 * dim,
        "max_seq_len": hf["n_positions"],
        "norm_eps": hf.get("layer_norm_epsilon", 1e-5),
        "activation": _GPT2_ACTIVATIONS[activation],
        "qkv_bias": True,
        "out_bias": True,
        "mlp_bias": True,
        "tie_word_embeddings": hf.get("tie_word_embeddings", True),
    }


def _llama_fields(hf: dict[str, Any], architecture: str, source: str) -> dict[str, Any]:
    if hf.get("hidden_act", "silu") != "silu":
        raise ModelLoadError(
            f"{source}: hidden_act {hf['hidden_act']!r} is not supported (only 'silu')",
            path=source,
        )
    dim, heads = hf["hidden_size"], hf["num_attention_heads"]
    head_dim = hf.get("head_dim")
    if head_dim is None:
        if not isinstance(heads, int) or heads < 1 or dim % heads:
            raise ModelLoadError(
                f"{source}: hidden_size ({dim}) must be a multiple of num_attention_heads "
                f"({heads})",
                path=source,
            )
        head_dim = dim // heads
    theta, scaling = _rope(hf, source)
    qwen2 = architecture == "Qwen2ForCausalLM"
    attention_bias = bool(hf.get("attention_bias", False))
    max_len = hf.get("max_position_embeddings", 2048)
    # We have no sliding-window attention; capping the context at the window keeps every
    # result exact (within the window, sliding and full attention agree).
    window = hf.get("sliding_window")
    uses_window = hf.get("use_sliding_window", True) if not qwen2 else hf.get("use_sliding_window")
    if uses_window and isinstance(window, int) and window > 0:
        max_len = min(max_len, window)
    return {
        "family": "llama",
        "vocab_size": hf["vocab_size"],
        "dim": dim,
        "n_layers": hf["num_hidden_layers"],
        "n_heads": heads,
        "n_kv_heads": hf.get("num_key_value_heads") or heads,
        "head_dim": head_dim,
        "hidden_dim": hf["intermediate_size"],
        "max_seq_len": max_len,
        "norm_eps": hf.get("rms_norm_eps", 1e-6),
        "activation": "silu",
        "rope_theta": theta,
        "rope_scaling": scaling,
        "qkv_bias": qwen2 or attention_bias,
        "out_bias": attention_bias and not qwen2,
        "mlp_bias": bool(hf.get("mlp_bias", False)),
        "tie_word_embeddings": hf.get("tie_word_embeddings", False),
    }


def _rope(hf: dict[str, Any], source: str) -> tuple[float, RopeScaling | None]:
    params = hf.get("rope_parameters")
    if isinstance(params, dict):
        theta = params.get("rope_theta", hf.get("rope_theta", 10000.0))
        scaling = params
    else:
        theta = hf.get("rope_theta", 10000.0)
        scaling = hf.get("rope_scaling") or {}
    partial = (params or {}).get("partial_rotary_factor", hf.get("partial_rotary_factor", 1.0))
    if partial != 1.0:
        raise ModelLoadError(f"{source}: partial_rotary_factor is not supported", path=source)
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind in (None, "default"):
        return theta, None
    if kind not in ("linear", "llama3"):
        raise ModelLoadError(
            f"{source}: rope scaling type {kind!r} is not supported "
            "(supported: default, linear, llama3)",
            path=source,
        )
    keys = set(RopeScaling.model_fields) - {"type"}
    return theta, RopeScaling(type=kind, **{k: v for k, v in scaling.items() if k in keys})


def _token_fields(
    hf: dict[str, Any], generation: dict[str, Any], tokenizer_config: dict[str, Any]
) -> dict[str, Any]:
    def pick(key: str) -> Any:
        return generation[key] if generation.get(key) is not None else hf.get(key)

    eos = pick("eos_token_id")
    eos_ids = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    add_bos = tokenizer_config.get("add_bos_token")
    return {
        "bos_token_id": pick("bos_token_id"),
        "eos_token_ids": eos_ids,
        "pad_token_id": pick("pad_token_id"),
        "add_bos_token": bool(add_bos),
    }


def _template_from(tokenizer_config: dict[str, Any]) -> str | None:
    template = tokenizer_config.get("chat_template")
    if isinstance(template, list):  # [{"name": "default", "template": ...}, ...]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default")
    return template if isinstance(template, str) else None
