"""Translate Hugging Face ``config.json`` (and its companion files) to and from ModelConfig.

Covers GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM, in the
key spellings of transformers 4.x (``rope_theta`` + ``rope_scaling``, with the legacy
``type`` key) and 5.x (``rope_parameters``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...errors import ModelLoadError
from ..config import ModelConfig, RopeScaling
from .json_keys import JsonKeys, show_json

__all__ = ["ARCHITECTURES", "config_from_hf", "config_to_hf", "hf_key"]

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
    errors. ``generation`` (generation_config.json) overrides its special token ids.

    Every error names the key as the checkpoint spells it (``num_hidden_layers``, not our
    ``n_layers``) and the file it is in, since that is what the user has to fix.
    """
    folder = Path(source).parent
    architecture = _architecture(hf, source)
    keys = JsonKeys(hf, source, architecture)
    if architecture == "GPT2LMHeadModel":
        fields = _gpt2_fields(keys)
    else:
        fields = _llama_fields(keys, architecture)
    fields.update(
        _token_fields(
            keys,
            JsonKeys(generation or {}, str(folder / "generation_config.json"), architecture),
            vocab_size=fields["vocab_size"],
        )
    )
    settings = JsonKeys(tokenizer_config or {}, str(folder / "tokenizer_config.json"), architecture)
    fields["add_bos_token"] = settings.flag("add_bos_token", False)
    fields["chat_template"] = chat_template or _template_from(settings)
    try:
        return ModelConfig(**fields)
    except ValidationError as exc:  # a backstop: the reads above check what users can write
        family = fields["family"]
        problems = "; ".join(
            f"{_hf_key(family, err['loc'])}: {str(err['msg']).removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ModelLoadError(f"{source}: invalid value ({problems})", path=source) from None


def hf_key(config: ModelConfig, field: str) -> str:
    """The config.json key that sets ``field`` of ``config`` (for error messages)."""
    return _HF_KEYS[config.family].get(field, field)


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
        if config.rope_scaling is not None and config.rope_scaling.type == "frequency_factors":
            raise ValueError(
                "this model's RoPE frequencies are scaled by per-frequency factors (from a GGUF "
                "file's rope_freqs.weight), which config.json cannot express"
            )
        if config.rope_scaling is not None:
            scaling = config.rope_scaling.model_dump(exclude={"frequency_factors"})
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


# Our ModelConfig field -> the config.json key that sets it, per family.
_HF_KEYS: dict[str, dict[str, str]] = {
    "gpt2": {
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
    "llama": {
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
}


def _hf_key(family: str, location: tuple[int | str, ...]) -> str:
    if not location:
        return "config"
    head, *rest = (str(part) for part in location)
    return ".".join([_HF_KEYS[family].get(head, head), *rest])


def _architecture(hf: dict[str, Any], source: str) -> str:
    names = hf.get("architectures")
    if not names:
        raise ModelLoadError(f"{source}: no 'architectures' entry", path=source)
    if not isinstance(names, list):
        raise ModelLoadError(
            f"{source}: architectures must be a list of class names such as "
            f'["LlamaForCausalLM"], not {show_json(names)}',
            path=source,
        )
    for name in names:
        if name in ARCHITECTURES:
            return str(name)
    raise ModelLoadError(
        f"{source}: unsupported architecture {names[0]!r}; "
        f"supported: {', '.join(sorted(ARCHITECTURES))}",
        path=source,
    )


def _gpt2_fields(keys: JsonKeys) -> dict[str, Any]:
    activation = keys.text("activation_function", "gelu_new")
    if activation not in _GPT2_ACTIVATIONS:
        raise keys.error(
            "activation_function",
            f"{activation!r} is not supported (supported: {', '.join(_GPT2_ACTIVATIONS)})",
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
        "activation": _GPT2_ACTIVATIONS[activation],
        "qkv_bias": True,
        "out_bias": True,
        "mlp_bias": True,
        "tie_word_embeddings": keys.flag("tie_word_embeddings", True),
    }


def _llama_fields(keys: JsonKeys, architecture: str) -> dict[str, Any]:
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
    theta, scaling = _rope(keys)
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


def _rope(keys: JsonKeys) -> tuple[float, RopeScaling | None]:
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


def _token_fields(hf: JsonKeys, generation: JsonKeys, *, vocab_size: int) -> dict[str, Any]:
    """The special token ids, from generation_config.json where it sets them (as
    transformers does), else from config.json; each checked against ``vocab_size``."""

    def token_id(keys: JsonKeys, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise keys.error(key, f"must be a token id (an integer), not {show_json(value)}")
        if not 0 <= value < vocab_size:
            raise keys.error(
                key,
                f"{value} is outside the vocabulary: ids run from 0 to {vocab_size - 1} "
                "(vocab_size in config.json)",
            )
        return value

    def pick(key: str) -> tuple[JsonKeys, Any]:
        # null (or, for eos_token_id, an empty list) in generation_config.json sets nothing
        keys = generation if generation.data.get(key) not in (None, []) else hf
        return keys, keys.data.get(key)

    fields: dict[str, Any] = {}
    for key in ("bos_token_id", "pad_token_id"):
        keys, value = pick(key)
        fields[key] = None if value is None else token_id(keys, key, value)
    keys, eos = pick("eos_token_id")
    eos_list = [] if eos is None else eos if isinstance(eos, list) else [eos]
    fields["eos_token_ids"] = [token_id(keys, "eos_token_id", value) for value in eos_list]
    return fields


def _template_from(settings: JsonKeys) -> str | None:
    template = settings.data.get("chat_template")
    if template is None:
        return None
    if isinstance(template, list):  # [{"name": "default", "template": ...}, ...]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default")
        if template is None:
            return None
    if not isinstance(template, str):
        raise settings.error(
            "chat_template",
            f"must be a Jinja template string (or a list of {{name, template}} objects), "
            f"not {show_json(template)}",
        )
    return template
