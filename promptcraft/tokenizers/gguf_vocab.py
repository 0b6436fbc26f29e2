"""A tokenizer from the vocabulary a GGUF file (llama.cpp's model format) carries.

A GGUF file holds no ``tokenizer.json``; llama.cpp's converter writes the Hugging Face
tokenizer into metadata keys instead:

- ``tokenizer.ggml.model``: ``"gpt2"`` for a byte-level BPE (``"llama"`` is SentencePiece);
- ``tokenizer.ggml.pre``: which pre-tokenizer, by a name llama.cpp gives each family;
- ``tokenizer.ggml.tokens``: every token by id, ordinary tokens in GPT-2's byte alphabet
  (``"Ġthe"``) and added tokens as their text (``"<|im_start|>"``);
- ``tokenizer.ggml.token_type``: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
  6 byte (SentencePiece's ``<0x0A>``);
- ``tokenizer.ggml.merges``: ``"left right"``, best first;
- ``tokenizer.ggml.bos_token_id`` ... and ``tokenizer.ggml.add_bos_token``.

:func:`tokenizer_from_gguf` rebuilds the Hugging Face tokenizer the file came from and converts
it with the same exact conversion as ``tokenizer.json`` (:mod:`.hf_convert`). A GGUF file does
not say what the pre-tokenizer, normalizer or ``ignore_merges`` were, only the family's name,
so each supported name maps to that family's real ``tokenizer.json`` settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import ModelLoadError, TokenizerError
from ..utils.gguf_header import GGUFFile, open_gguf
from .hf_convert import AddedToken, convert_byte_level_bpe
from .tokenizer import (
    CL100K_PATTERN,
    GPT2_PATTERN,
    GPT2_SINGLE_DIGIT_PATTERN,
    SINGLE_DIGIT_PATTERN,
    Normalization,
    Tokenizer,
)

__all__ = ["gguf_adds_bos_token", "load_gguf_tokenizer", "tokenizer_from_gguf"]

_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class _PreTokenizer:
    """What a ``tokenizer.ggml.pre`` name stands for in the family's ``tokenizer.json``."""

    pattern: str
    normalization: Normalization | None = None
    ignore_merges: bool = False
    add_bos_token: bool = False  # llama.cpp's default when the file has no add_bos_token


_PRE_TOKENIZERS = {
    # GPT-2: ByteLevel with its regex.
    "gpt-2": _PreTokenizer(GPT2_PATTERN),
    # Llama-3: Split(cl100k regex) + ByteLevel, ignore_merges.
    "llama-bpe": _PreTokenizer(CL100K_PATTERN, ignore_merges=True, add_bos_token=True),
    # Qwen2: NFC, then Split(cl100k regex with single digits) + ByteLevel.
    "qwen2": _PreTokenizer(SINGLE_DIGIT_PATTERN, normalization="NFC"),
    # SmolLM and StarCoder: Digits(individual_digits) + ByteLevel with GPT-2's regex.
    "smollm": _PreTokenizer(GPT2_SINGLE_DIGIT_PATTERN),
    "starcoder": _PreTokenizer(GPT2_SINGLE_DIGIT_PATTERN),
}

_ROLE_KEYS = {
    "bos_token_id": "tokenizer.ggml.bos_token_id",
    "eos_token_id": "tokenizer.ggml.eos_token_id",
    "pad_token_id": "tokenizer.ggml.padding_token_id",
}


def load_gguf_tokenizer(path: str | os.PathLike[str]) -> Tokenizer:
    """The tokenizer of the GGUF file at ``path``. An unreadable or corrupt file raises
    :class:`~promptcraft.errors.ModelLoadError` (from :func:`open_gguf`), a vocabulary
    promptcraft cannot reproduce exactly :class:`~promptcraft.errors.TokenizerError`."""
    return tokenizer_from_gguf(open_gguf(path))


def tokenizer_from_gguf(gguf: GGUFFile) -> Tokenizer:
    """The tokenizer described by an opened GGUF file's ``tokenizer.ggml.*`` metadata.

    Supports byte-level BPE (``tokenizer.ggml.model == "gpt2"``) with the pre-tokenizers
    ``gpt-2``, ``llama-bpe``, ``qwen2``, ``smollm`` and ``starcoder``. Control tokens become
    special tokens (matched only with ``allow_special``), user-defined tokens added tokens
    (matched in any text), as Hugging Face treats them; BOS, EOS and PAD come from the file.
    Whether to prepend BOS is :func:`gguf_adds_bos_token`.
    """
    pre = _pre_tokenizer(gguf)
    tokens = _string_list(gguf, "tokenizer.ggml.tokens")
    types = _token_types(gguf, len(tokens))
    merges = _merges(gguf)
    vocab: dict[str, int] = {}
    added: list[AddedToken] = []
    for token_id, (token, kind) in enumerate(zip(tokens, types, strict=True)):
        if token in vocab:
            raise TokenizerError(
                f"{gguf.path}: tokenizer.ggml.tokens lists {token!r} twice (ids {vocab[token]} "
                f"and {token_id})"
            )
        vocab[token] = token_id
        if kind == _BYTE:
            raise TokenizerError(
                f"{gguf.path}: tokenizer.ggml.token_type marks token {token_id} ({token!r}) as "
                "a byte token, which only SentencePiece vocabularies have, not tokenizer.ggml."
                "model 'gpt2'"
            )
        if kind != _NORMAL:
            # Unused ids (padding the vocabulary to the model's size) have no Hugging Face
            # token; as special tokens they stay decodable and ordinary text never gives them.
            added.append(AddedToken(id=token_id, content=token, special=kind != _USER_DEFINED))
    converted = convert_byte_level_bpe(
        vocab,
        merges,
        added=added,
        ignore_merges=pre.ignore_merges,
        source=f"{gguf.path}: tokenizer.ggml",
    )
    roles = {role: _token_id(gguf, key, len(tokens)) for role, key in _ROLE_KEYS.items()}
    _token_id(gguf, "tokenizer.ggml.unknown_token_id", len(tokens))  # checked, not used
    return Tokenizer.from_ranks(
        converted.mergeable_ranks,
        pattern=pre.pattern,
        special_tokens=converted.special_tokens,
        name=gguf.path.stem,
        normalization=pre.normalization,
        added_tokens=converted.added_tokens,
        **roles,
    )


def gguf_adds_bos_token(gguf: GGUFFile) -> bool:
    """Whether the model expects BOS before the text: ``tokenizer.ggml.add_bos_token``, or
    when the file has no such key, llama.cpp's default for its pre-tokenizer (only
    ``llama-bpe`` adds one)."""
    value = _metadata(gguf, "tokenizer.ggml.add_bos_token", bool)
    return bool(value) if value is not None else _pre_tokenizer(gguf).add_bos_token


# --- internals -------------------------------------------------------------------------------


def _pre_tokenizer(gguf: GGUFFile) -> _PreTokenizer:
    model = _metadata(gguf, "tokenizer.ggml.model", str, required=True)
    if model == "llama":
        raise TokenizerError(
            f"{gguf.path}: tokenizer.ggml.model is 'llama', a SentencePiece vocabulary "
            "(TinyLlama, Llama-2, Mistral v0.1); SentencePiece vocabularies are not supported: "
            "tiktoken cannot reproduce them exactly, and promptcraft has no sentencepiece "
            "fallback (supported: 'gpt2', byte-level BPE)"
        )
    if model != "gpt2":
        raise TokenizerError(
            f"{gguf.path}: tokenizer.ggml.model is {model!r}; supported: 'gpt2' (byte-level BPE)"
        )
    supported = ", ".join(repr(name) for name in _PRE_TOKENIZERS)
    pre = _metadata(gguf, "tokenizer.ggml.pre", str)
    if pre is None or pre == "default":
        said = "is missing" if pre is None else "is 'default'"
        raise TokenizerError(
            f"{gguf.path}: tokenizer.ggml.pre {said}, so llama.cpp splits text with its "
            "'default' sequence of regexes, which matches no Hugging Face tokenizer and which "
            f"one tiktoken regex cannot reproduce (supported: {supported})"
        )
    found = _PRE_TOKENIZERS.get(pre)
    if found is None:
        raise TokenizerError(
            f"{gguf.path}: tokenizer.ggml.pre is {pre!r}, a pre-tokenizer promptcraft does not "
            f"know exactly (supported: {supported})"
        )
    return found


def _metadata(gguf: GGUFFile, key: str, kind: type, *, required: bool = False) -> Any:
    """``gguf.get``/``gguf.require``, as a tokenizer error."""
    try:
        return gguf.require(key, kind) if required else gguf.get(key, kind)
    except ModelLoadError as exc:
        raise TokenizerError(str(exc)) from None


def _string_list(gguf: GGUFFile, key: str) -> list[str]:
    values = _metadata(gguf, key, list, required=True)
    bad = next((i for i, value in enumerate(values) if not isinstance(value, str)), None)
    if bad is not None:
        raise TokenizerError(
            f"{gguf.path}: metadata key {key!r} must be a list of strings, but item {bad} is "
            f"{values[bad]!r}"
        )
    return values


def _token_types(gguf: GGUFFile, n_tokens: int) -> list[int]:
    key = "tokenizer.ggml.token_type"
    types = _metadata(gguf, key, list)
    if types is None:
        return [_NORMAL] * n_tokens
    if len(types) != n_tokens:
        raise TokenizerError(
            f"{gguf.path}: metadata key {key!r} has {len(types)} entries for {n_tokens} tokens "
            "(tokenizer.ggml.tokens)"
        )
    known = range(_NORMAL, _BYTE + 1)
    bad = next((i for i, kind in enumerate(types) if kind not in known), None)
    if bad is not None:
        raise TokenizerError(
            f"{gguf.path}: metadata key {key!r} gives token {bad} the type {types[bad]!r}; "
            "known: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte"
        )
    return types


def _merges(gguf: GGUFFile) -> list[tuple[str, str]]:
    key = "tokenizer.ggml.merges"
    merges: list[tuple[str, str]] = []
    for index, merge in enumerate(_string_list(gguf, key)):
        left, space, right = merge.partition(" ")
        if not space or not left or not right or " " in right:
            raise TokenizerError(
                f"{gguf.path}: metadata key {key!r}: merge #{index + 1} {merge!r} is not "
                "'<left> <right>'"
            )
        merges.append((left, right))
    return merges


def _token_id(gguf: GGUFFile, key: str, n_tokens: int) -> int | None:
    token_id = _metadata(gguf, key, int)
    if token_id is not None and not 0 <= token_id < n_tokens:
        raise TokenizerError(
            f"{gguf.path}: metadata key {key!r} is {token_id}, outside the {n_tokens} tokens "
            "of tokenizer.ggml.tokens"
        )
    return token_id
