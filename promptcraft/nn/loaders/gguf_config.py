"""Translate a GGUF file's metadata (llama.cpp's key names) into a ModelConfig.

============================================  ===============================================
GGUF metadata (``{arch}``: its architecture)  ModelConfig
============================================  ===============================================
``general.architecture``                      ``family``: llama, qwen2 -> llama; gpt2 -> gpt2
``{arch}.block_count``                        ``n_layers``
``{arch}.embedding_length``                   ``dim``
``{arch}.feed_forward_length``                ``hidden_dim``
``{arch}.attention.head_count``, ``_kv``      ``n_heads``, ``n_kv_heads``
``{arch}.attention.key_length``               ``head_dim`` (default ``dim / n_heads``)
``{arch}.rope.dimension_count``               must equal ``head_dim`` (no partial RoPE)
``{arch}.context_length``                     ``max_seq_len``
``{arch}.rope.freq_base``                     ``rope_theta``
``{arch}.rope.scaling.type``, ``.factor``     ``rope_scaling``: linear
tensor ``rope_freqs.weight``                  ``rope_scaling``: frequency_factors (Llama 3.1)
``{arch}.attention.layer_norm_rms_epsilon``   ``norm_eps`` (gpt2: ``.layer_norm_epsilon``)
``{arch}.vocab_size``, else the token count   ``vocab_size``
no tensor ``output.weight``                   ``tie_word_embeddings``
tensors ``blk.0.attn_q.bias`` etc.            ``qkv_bias``, ``out_bias``, ``mlp_bias``
``tokenizer.ggml.{bos,padding}_token_id``     ``bos_token_id``, ``pad_token_id``
``tokenizer.ggml.{eos,eot,eom}_token_id``     ``eos_token_ids``
``tokenizer.ggml.add_bos_token``              ``add_bos_token``
``tokenizer.chat_template``                   ``chat_template`` (rendered only in a sandbox)
============================================  ===============================================

Every error names the file and the key as the file spells it. What is common to every
family is read here; each family reads its own keys (``Architecture.gguf_fields``,
:mod:`promptcraft.nn.architectures`).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from ...errors import TokenizerError
from ...utils.gguf_header import GGUFFile
from ..architectures import REGISTRY, from_gguf_architecture
from ..config import ModelConfig

__all__ = ["ARCHITECTURES", "GGUFKeys", "config_from_gguf", "gguf_key"]

#: GGUF architecture -> our family (each family's ``gguf_architectures``). llama.cpp writes
#: Mistral and TinyLlama as llama.
ARCHITECTURES = {
    name: family for family, arch in REGISTRY.items() for name in arch.gguf_architectures
}

# ModelConfig field -> the GGUF key (under "{arch}.") that sets it
_KEYS = {
    "n_layers": "block_count",
    "dim": "embedding_length",
    "hidden_dim": "feed_forward_length",
    "n_heads": "attention.head_count",
    "n_kv_heads": "attention.head_count_kv",
    "head_dim": "attention.key_length",
    "max_seq_len": "context_length",
    "rope_theta": "rope.freq_base",
    "rope_scaling": "rope.scaling.type",
    "vocab_size": "vocab_size",
}
_TOKEN_KEYS = {
    "bos_token_id": "tokenizer.ggml.bos_token_id",
    "pad_token_id": "tokenizer.ggml.padding_token_id",
    "eos_token_ids": "tokenizer.ggml.eos_token_id",
    "add_bos_token": "tokenizer.ggml.add_bos_token",
    "chat_template": "tokenizer.chat_template",
}
# End-of-generation tokens: llama.cpp stops at any of them (Llama 3's <|eot_id|>, <|eom_id|>).
_EOS_KEYS = (
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.eot_token_id",
    "tokenizer.ggml.eom_token_id",
)

_MISSING: Any = object()


def gguf_key(gguf: GGUFFile, field: str) -> str:
    """The GGUF key that sets ModelConfig ``field`` (for error messages)."""
    arch = gguf.metadata.get("general.architecture", "{arch}")
    design = from_gguf_architecture(str(arch))
    if field == "norm_eps":  # (an unknown architecture: llama.cpp's usual spelling)
        key = design.gguf_norm_eps_key if design else "attention.layer_norm_rms_epsilon"
        return f"{arch}.{key}"
    if field in _TOKEN_KEYS:
        return _TOKEN_KEYS[field]
    return f"{arch}.{_KEYS.get(field, field)}"


def config_from_gguf(gguf: GGUFFile) -> ModelConfig:
    """The ModelConfig of a GGUF file (its metadata, and which tensors it holds)."""
    arch = gguf.require("general.architecture", str)
    if arch not in ARCHITECTURES:
        raise gguf.error(
            f"unsupported architecture {arch!r} (general.architecture); "
            f"supported: {', '.join(sorted(ARCHITECTURES))}"
        )
    design = from_gguf_architecture(arch)
    assert design is not None  # arch is a name of ARCHITECTURES
    keys = GGUFKeys(gguf, arch)
    fields = design.gguf_fields(keys)
    fields["vocab_size"] = _vocab_size(keys)
    fields.update(_token_fields(gguf, fields["vocab_size"]))
    fields["tie_word_embeddings"] = "output.weight" not in gguf.tensors
    try:
        return ModelConfig(**fields)
    except ValidationError as exc:  # a backstop: the reads above check what a file can say
        problems = "; ".join(
            f"{gguf_key(gguf, str(err['loc'][0])) if err['loc'] else 'config'}: "
            + str(err["msg"]).removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise gguf.error(f"invalid metadata ({problems})") from None


class GGUFKeys:
    """Typed reads of ``{arch}.*`` keys; errors name the key as the file spells it."""

    def __init__(self, gguf: GGUFFile, arch: str):
        self.gguf, self.arch = gguf, arch

    def name(self, key: str) -> str:
        return f"{self.arch}.{key}"

    def integer(self, key: str, default: Any = _MISSING) -> Any:
        full = self.name(key)
        value = self.gguf.get(full, int)
        if value is None:
            if default is _MISSING:
                raise self.gguf.error(f"metadata key {full!r} is missing ({self.arch} needs it)")
            return default
        if value < 1:
            raise self.gguf.error(f"metadata key {full!r} is {value}; it must be at least 1")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        full = self.name(key)
        value = self.gguf.get(full, (int, float))
        if value is None:
            if default is _MISSING:
                raise self.gguf.error(f"metadata key {full!r} is missing ({self.arch} needs it)")
            return default
        if not math.isfinite(value) or value <= 0:
            raise self.gguf.error(f"metadata key {full!r} is {value}; it must be positive")
        return float(value)

    def multiple(self, key: str, value: int, of_key: str, of: int) -> None:
        if value % of:
            raise self.gguf.error(
                f"metadata key {self.name(key)!r} ({value}) must be a multiple of "
                f"{self.name(of_key)!r} ({of})"
            )


def _vocab_size(keys: GGUFKeys) -> int:
    size = keys.integer("vocab_size", None)
    if size is not None:
        return int(size)
    tokens = keys.gguf.get("tokenizer.ggml.tokens", list)
    if not tokens:
        raise keys.gguf.error(
            f"metadata key {keys.name('vocab_size')!r} is missing, and so is the token list "
            "'tokenizer.ggml.tokens' that would give the vocabulary size"
        )
    return len(tokens)


def _token_fields(gguf: GGUFFile, vocab_size: int) -> dict[str, Any]:
    def token_id(key: str) -> int | None:
        value = gguf.get(key, int)
        if value is not None and not 0 <= value < vocab_size:
            raise gguf.error(
                f"metadata key {key!r} is {value}, outside the vocabulary: ids run from 0 to "
                f"{vocab_size - 1}"
            )
        return value

    eos = [i for key in _EOS_KEYS if (i := token_id(key)) is not None]
    return {
        "bos_token_id": token_id(_TOKEN_KEYS["bos_token_id"]),
        "pad_token_id": token_id(_TOKEN_KEYS["pad_token_id"]),
        "eos_token_ids": list(dict.fromkeys(eos)),
        "add_bos_token": _adds_bos_token(gguf),
        "chat_template": gguf.get(_TOKEN_KEYS["chat_template"], str),
    }


def _adds_bos_token(gguf: GGUFFile) -> bool:
    """``tokenizer.ggml.add_bos_token``, else llama.cpp's default for the vocabulary:
    SentencePiece ("llama") starts with BOS; of the byte-level BPEs, those the tokenizer
    module says (Llama 3's)."""
    from ...tokenizers.gguf_vocab import gguf_adds_bos_token

    value = gguf.get(_TOKEN_KEYS["add_bos_token"], bool)
    if value is not None:
        return bool(value)
    if gguf.get("tokenizer.ggml.model", str) == "llama":
        return True
    try:
        return gguf_adds_bos_token(gguf)
    except TokenizerError:  # a vocabulary it cannot read: loading the tokenizer says why
        return False
