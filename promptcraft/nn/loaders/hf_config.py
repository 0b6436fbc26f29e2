"""Translate Hugging Face ``config.json`` (and its companion files) to and from ModelConfig.

What is common to every family is here (the ``architectures`` entry, special tokens,
tokenizer settings, the chat template); each family reads and writes its own keys
(:mod:`promptcraft.nn.architectures`: GPT2LMHeadModel; LlamaForCausalLM,
MistralForCausalLM and Qwen2ForCausalLM, in the key spellings of transformers 4.x and 5.x).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...errors import ModelLoadError
from ..architectures import REGISTRY, from_hf_architecture
from ..config import ModelConfig
from .json_keys import JsonKeys, show_json

__all__ = ["ARCHITECTURES", "config_from_hf", "config_to_hf", "hf_key"]

#: architecture name in config.json -> our family (each family's ``hf_architectures``)
ARCHITECTURES = {
    name: family for family, arch in REGISTRY.items() for name in arch.hf_architectures
}


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
    design = from_hf_architecture(architecture)
    assert design is not None  # _architecture returns a name of ARCHITECTURES
    fields = design.hf_fields(keys, architecture)
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
        problems = "; ".join(
            f"{_hf_key(design.hf_keys, err['loc'])}: "
            + str(err["msg"]).removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise ModelLoadError(f"{source}: invalid value ({problems})", path=source) from None


def hf_key(config: ModelConfig, field: str) -> str:
    """The config.json key that sets ``field`` of ``config`` (for error messages)."""
    return config.architecture.hf_keys.get(field, field)


def config_to_hf(config: ModelConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """``config.json`` and ``generation_config.json`` contents for ``config``.

    Each family writes its own keys (:attr:`Architecture.hf_config`: Llama-family models as
    LlamaForCausalLM, a Qwen2-style one setting ``attention_bias``); the special tokens are
    written alike for all.
    """
    hf = config.architecture.hf_config(config)
    eos = config.eos_token_ids[0] if len(config.eos_token_ids) == 1 else config.eos_token_ids
    tokens = {
        "bos_token_id": config.bos_token_id,
        "eos_token_id": eos or None,
        "pad_token_id": config.pad_token_id,
    }
    hf.update(tokens, tie_word_embeddings=config.tie_word_embeddings)
    return hf, dict(tokens)


def _hf_key(keys: Mapping[str, str], location: tuple[int | str, ...]) -> str:
    if not location:
        return "config"
    head, *rest = (str(part) for part in location)
    return ".".join([keys.get(head, head), *rest])


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
