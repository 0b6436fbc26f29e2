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

Every error names the file and the key as the file spells it.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from ...errors import TokenizerError
from ...utils.gguf_header import GGUFFile
from ..config import ModelConfig, RopeScaling

__all__ = ["ARCHITECTURES", "config_from_gguf", "gguf_key"]

#: GGUF architecture -> our family. (llama.cpp writes Mistral and TinyLlama as llama.)
ARCHITECTURES = {"llama": "llama", "qwen2": "llama", "gpt2": "gpt2"}

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
_NORM_EPS = {"llama": "attention.layer_norm_rms_epsilon", "gpt2": "attention.layer_norm_epsilon"}
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
    family = ARCHITECTURES.get(str(arch), "llama")
    if field == "norm_eps":
        return f"{arch}.{_NORM_EPS[family]}"
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
    keys = _Keys(gguf, arch)
    family = ARCHITECTURES[arch]
    fields = _gpt2_fields(keys) if family == "gpt2" else _llama_fields(keys)
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


class _Keys:
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


def _llama_fields(keys: _Keys) -> dict[str, Any]:
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
        "norm_eps": keys.number(_NORM_EPS["llama"]),
        "activation": "silu",
        "rope_theta": keys.number("rope.freq_base", 10000.0),
        "rope_scaling": _rope_scaling(keys, head_dim),
        # qwen2 always has q/k/v biases; llama.cpp's llama takes them when the file has them
        "qkv_bias": keys.arch == "qwen2" or "blk.0.attn_q.bias" in tensors,
        "out_bias": "blk.0.attn_output.bias" in tensors,
        "mlp_bias": "blk.0.ffn_down.bias" in tensors,
    }


def _gpt2_fields(keys: _Keys) -> dict[str, Any]:
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
        "norm_eps": keys.number(_NORM_EPS["gpt2"]),
        "activation": "gelu_tanh",  # ggml's GELU is the tanh approximation, as GPT-2's
        "qkv_bias": True,
        "out_bias": True,
        "mlp_bias": True,
    }


def _vocab_size(keys: _Keys) -> int:
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


def _rope_scaling(keys: _Keys, head_dim: int) -> RopeScaling | None:
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
        values = _rope_factors(gguf, factors, head_dim)
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


def _rope_factors(gguf: GGUFFile, tensor: Any, head_dim: int) -> tuple[float, ...]:
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
