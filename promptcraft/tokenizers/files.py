"""Load tokenizers from files: tiktoken rank files, Hugging Face ``tokenizer.json``,
GPT-2's ``vocab.json`` + ``merges.txt``, and whole model directories.

Every loader returns a :class:`~promptcraft.tokenizers.Tokenizer` that encodes exactly like
the original, or raises :class:`~promptcraft.errors.TokenizerError` saying why it cannot.
Our own models store ``tokenizer.tiktoken`` plus the sidecar ``tiktoken_config.json``
(:class:`TiktokenConfig`), written by :mod:`promptcraft.tokenizers.writers`.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import TokenizerError
from ..utils.jsonl import read_json_object
from .hf_convert import (
    AddedToken,
    convert_byte_level_bpe,
    normalization_from_spec,
    pattern_from_pre_tokenizer,
)
from .missing_bytes import missing_single_bytes
from .tokenizer import GPT2_PATTERN, MAX_TOKEN_ID, Normalization, Tokenizer

__all__ = [
    "TIKTOKEN_CONFIG_FILE",
    "TIKTOKEN_FILE",
    "TiktokenConfig",
    "load_hf_tokenizer_json",
    "load_tiktoken_file",
    "load_tokenizer_dir",
    "load_vocab_merges",
    "read_tiktoken_ranks",
]

TIKTOKEN_FILE = "tokenizer.tiktoken"
TIKTOKEN_CONFIG_FILE = "tiktoken_config.json"

_ROLES = ("bos", "eos", "pad")


class TiktokenConfig(BaseModel):
    """The sidecar of a tiktoken rank file: what the rank file itself cannot hold."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["promptcraft.tiktoken"] = "promptcraft.tiktoken"
    version: Literal[1] = 1
    rank_file: str = TIKTOKEN_FILE
    name: str | None = None
    pattern: str
    special_tokens: dict[str, Annotated[int, Field(ge=0, le=MAX_TOKEN_ID)]] = {}
    added_tokens: list[str] = []  # special tokens that ordinary text may contain (HF non-special)
    normalization: Normalization | None = None
    bos_token: str | None = None
    eos_token: str | None = None
    pad_token: str | None = None


def load_tokenizer_dir(path: str | os.PathLike[str]) -> Tokenizer:
    """Load the tokenizer of a model directory (Hugging Face layout or our own).

    Looks, in order, for ``tiktoken_config.json`` (+ its rank file), ``tokenizer.json``,
    and ``vocab.json`` + ``merges.txt``. BOS/EOS/PAD come from the sidecar, else from
    ``tokenizer_config.json`` or ``special_tokens_map.json``.
    """
    directory = Path(path)
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise TokenizerError(f"tokenizer directory {directory} {what}")
    sidecar = directory / TIKTOKEN_CONFIG_FILE
    if sidecar.is_file():
        tokenizer = _load_tiktoken_dir(sidecar)
    elif (directory / "tokenizer.json").is_file():
        tokenizer = load_hf_tokenizer_json(directory / "tokenizer.json", name=directory.name)
    elif (directory / "vocab.json").is_file() and (directory / "merges.txt").is_file():
        added = _added_tokens_of_slow_layout(directory)
        tokenizer = load_vocab_merges(
            directory / "vocab.json", directory / "merges.txt", added=added, name=directory.name
        )
    else:
        raise _no_tokenizer_error(directory)
    _apply_hf_special_roles(tokenizer, directory)
    return tokenizer


def load_tiktoken_file(
    path: str | os.PathLike[str],
    *,
    pattern: str,
    special_tokens: Mapping[str, int] | None = None,
    name: str | None = None,
    **options: Any,
) -> Tokenizer:
    """Load a tiktoken rank file (``base64-token rank`` per line). The file holds no regex,
    so ``pattern`` is required: Llama-3's ``original/tokenizer.model`` is such a file, with
    ``pattern=CL100K_PATTERN`` and its ``<|begin_of_text|>``... special tokens from 128000.
    ``options`` are :class:`Tokenizer` keywords (``bos_token_id``, ``normalization``, ...)."""
    path = Path(path)
    ranks = read_tiktoken_ranks(path)
    return Tokenizer.from_ranks(
        ranks, pattern=pattern, special_tokens=special_tokens, name=name or path.stem, **options
    )


def read_tiktoken_ranks(path: str | os.PathLike[str]) -> dict[bytes, int]:
    """Token bytes -> rank from a tiktoken rank file; errors name the file and line."""
    path = Path(path)
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise TokenizerError(f"cannot read tiktoken rank file {path}: {exc}") from exc
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            if len(fields) != 2:
                raise ValueError(f"expected 2 fields, found {len(fields)}")
            token, rank = base64.b64decode(fields[0], validate=True), int(fields[1])
        except (ValueError, binascii.Error) as exc:
            raise TokenizerError(
                f"{path}:{number}: not a tiktoken rank line ('<base64 token> <rank>'): {exc}"
            ) from None
        if not 0 <= rank <= MAX_TOKEN_ID:
            raise TokenizerError(
                f"{path}:{number}: rank {rank} is outside 0..{MAX_TOKEN_ID} (ranks are token ids)"
            )
        if token in ranks:
            raise TokenizerError(f"{path}:{number}: token {token!r} is listed twice")
        ranks[token] = rank
    if not ranks:
        raise TokenizerError(f"tiktoken rank file {path} is empty")
    return ranks


def load_hf_tokenizer_json(path: str | os.PathLike[str], *, name: str | None = None) -> Tokenizer:
    """Load a Hugging Face ``tokenizer.json`` holding a byte-level BPE."""
    path = Path(path)
    data = _read_json(path)
    source = str(path)
    model = data.get("model")
    if not isinstance(model, dict):
        raise TokenizerError(f"{source}: has no 'model' object")
    _check_bpe_model(model, source)
    normalization = normalization_from_spec(data.get("normalizer"), source=source)
    pattern = pattern_from_pre_tokenizer(data.get("pre_tokenizer"), source=source)
    try:
        added = [AddedToken.model_validate(item) for item in data.get("added_tokens") or []]
    except ValidationError as exc:
        raise TokenizerError(f"{source}: invalid added_tokens: {_fields(exc)}") from None
    vocab = _vocab_of(model, source)
    if not isinstance(model.get("merges"), list):
        raise TokenizerError(
            _wrong(source, "model.merges", "a list of merges", model.get("merges"))
        )
    merges = [_parse_merge(item, source, i) for i, item in enumerate(model["merges"])]
    converted = convert_byte_level_bpe(
        vocab,
        merges,
        added=added,
        ignore_merges=bool(model.get("ignore_merges", False)),
        source=source,
    )
    _check_no_unk_for_missing_bytes(model, converted.mergeable_ranks, source)
    return Tokenizer.from_ranks(
        converted.mergeable_ranks,
        pattern=pattern,
        special_tokens=converted.special_tokens,
        name=name or path.parent.name or path.stem,
        normalization=normalization,
        added_tokens=converted.added_tokens,
    )


def load_vocab_merges(
    vocab_path: str | os.PathLike[str],
    merges_path: str | os.PathLike[str],
    *,
    added: list[AddedToken] | None = None,
    name: str | None = None,
) -> Tokenizer:
    """Load GPT-2's original layout: ``vocab.json`` (token -> id) and ``merges.txt``.

    This layout has no pre-tokenizer settings: it is GPT-2's regex, without
    ``ignore_merges``. Vocabulary entries that no merge produces (``<|endoftext|>``)
    become special tokens.
    """
    vocab_path, merges_path = Path(vocab_path), Path(merges_path)
    vocab = _read_json(vocab_path)
    if not all(isinstance(v, int) for v in vocab.values()):
        raise TokenizerError(f"{vocab_path}: expected an object of token -> integer id")
    try:
        lines = merges_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenizerError(f"cannot read merges file {merges_path}: {exc}") from exc
    merges: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        if (number == 1 and line.startswith("#version")) or not line:
            continue
        parts = line.split(" ")
        if len(parts) != 2:
            raise TokenizerError(f"{merges_path}:{number}: expected '<left> <right>', got {line!r}")
        merges.append((parts[0], parts[1]))
    converted = convert_byte_level_bpe(
        vocab, merges, added=added or [], ignore_merges=False, source=str(merges_path)
    )
    return Tokenizer.from_ranks(
        converted.mergeable_ranks,
        pattern=GPT2_PATTERN,
        special_tokens=converted.special_tokens,
        name=name or vocab_path.parent.name,
        added_tokens=converted.added_tokens,
    )


# --- internals -------------------------------------------------------------------------------


def _load_tiktoken_dir(sidecar: Path) -> Tokenizer:
    try:
        config = TiktokenConfig.model_validate(_read_json(sidecar))
    except ValidationError as exc:
        raise TokenizerError(f"{sidecar}: invalid tiktoken sidecar: {_fields(exc)}") from None
    tokenizer = load_tiktoken_file(
        sidecar.parent / config.rank_file,
        pattern=config.pattern,
        special_tokens=config.special_tokens,
        name=config.name or sidecar.parent.name,
        normalization=config.normalization,
        added_tokens=config.added_tokens,
    )
    for role in _ROLES:
        text = getattr(config, f"{role}_token")
        if text is not None:
            setattr(tokenizer, f"{role}_token_id", _role_id(tokenizer, text, sidecar, role))
    return tokenizer


def _check_bpe_model(model: dict[str, Any], source: str) -> None:
    kind = model.get("type", "BPE" if "merges" in model else None)
    if kind == "Unigram":
        raise TokenizerError(
            f"{source}: model type Unigram is a SentencePiece unigram model; tiktoken can only "
            "reproduce byte-level BPE, and promptcraft has no sentencepiece/tokenizers fallback"
        )
    if kind != "BPE":
        raise TokenizerError(
            f"{source}: model type {kind!r} is not BPE; promptcraft loads byte-level BPE only"
        )
    if model.get("byte_fallback"):
        raise TokenizerError(
            f"{source}: BPE with byte_fallback is a SentencePiece-style tokenizer (Llama-2, "
            "Mistral v0.1); tiktoken cannot reproduce it exactly, and promptcraft has no "
            "sentencepiece/tokenizers fallback"
        )
    for option in ("continuing_subword_prefix", "end_of_word_suffix"):
        if model.get(option):
            raise TokenizerError(f"{source}: BPE option {option}={model[option]!r} is unsupported")
    if model.get("dropout"):
        raise TokenizerError(f"{source}: BPE dropout={model['dropout']} makes encoding random")


def _check_no_unk_for_missing_bytes(
    model: dict[str, Any], ranks: Mapping[bytes, int], source: str
) -> None:
    """Without an ``unk_token`` Hugging Face drops a byte the vocabulary lacks, as we do;
    with one it emits that token instead."""
    missing = missing_single_bytes(ranks)
    unk = model.get("unk_token")
    if missing and unk is not None:
        raise TokenizerError(
            f"{source}: model.unk_token is {unk!r} and the vocabulary lacks {len(missing)} "
            f"single bytes (first: {missing[0]:#04x}); Hugging Face encodes each of them as "
            f"{unk!r}, while promptcraft drops them (as Hugging Face does without an unk_token)"
        )


def _vocab_of(model: dict[str, Any], source: str) -> dict[str, int]:
    """``model.vocab``, checked: token strings to distinct non-negative integer ids."""
    vocab = model.get("vocab")
    if not isinstance(vocab, dict):
        raise TokenizerError(_wrong(source, "model.vocab", "an object of token -> id", vocab))
    owner: dict[int, str] = {}
    for token, token_id in vocab.items():
        if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id < 0:
            raise TokenizerError(
                f"{source}: model.vocab[{token!r}] must be a non-negative integer id, "
                f"not {token_id!r}"
            )
        if token_id in owner:
            raise TokenizerError(
                f"{source}: model.vocab gives id {token_id} to both {owner[token_id]!r} "
                f"and {token!r}"
            )
        owner[token_id] = token
    return vocab


def _wrong(source: str, key: str, expected: str, value: Any) -> str:
    """The message for a key that is absent or has the wrong JSON type."""
    if value is None:
        return f"{source}: {key} is missing (expected {expected})"
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return f"{source}: {key} must be {expected}, not {kinds.get(type(value), 'a number')}"


def _parse_merge(item: Any, source: str, index: int) -> tuple[str, str]:
    # tokenizers < 0.20 writes "left right"; newer versions write ["left", "right"].
    parts = item.split(" ") if isinstance(item, str) else item
    if not isinstance(parts, list) or len(parts) != 2:
        raise TokenizerError(f"{source}: merge #{index + 1} {item!r} is not a pair")
    return str(parts[0]), str(parts[1])


def _added_tokens_of_slow_layout(directory: Path) -> list[AddedToken]:
    """Added tokens of a vocab.json + merges.txt checkpoint: ``added_tokens.json`` and the
    ``added_tokens_decoder`` of ``tokenizer_config.json``."""
    tokens: dict[int, AddedToken] = {}
    added_file = directory / "added_tokens.json"
    if added_file.is_file():
        for content, token_id in _read_json(added_file).items():
            tokens[int(token_id)] = AddedToken(id=int(token_id), content=content, special=True)
    config_file = directory / "tokenizer_config.json"
    if config_file.is_file():
        decoder = _read_json(config_file).get("added_tokens_decoder") or {}
        for key, entry in decoder.items():
            try:
                tokens[int(key)] = AddedToken.model_validate({**entry, "id": int(key)})
            except ValidationError as exc:
                raise TokenizerError(
                    f"{config_file}: invalid added_tokens_decoder entry {key!r}: {_fields(exc)}"
                ) from None
            except ValueError:
                raise TokenizerError(
                    f"{config_file}: added_tokens_decoder key {key!r} is not a token id"
                ) from None
    return list(tokens.values())


def _apply_hf_special_roles(tokenizer: Tokenizer, directory: Path) -> None:
    """Fill unset bos/eos/pad ids from tokenizer_config.json, then special_tokens_map.json."""
    for filename in ("tokenizer_config.json", "special_tokens_map.json"):
        path = directory / filename
        if not path.is_file():
            continue
        config = _read_json(path)
        for role in _ROLES:
            value = config.get(f"{role}_token")
            if isinstance(value, dict):  # a serialized AddedToken
                value = value.get("content")
            if isinstance(value, str) and getattr(tokenizer, f"{role}_token_id") is None:
                setattr(tokenizer, f"{role}_token_id", _role_id(tokenizer, value, path, role))


def _role_id(tokenizer: Tokenizer, text: str, path: Path, role: str) -> int:
    try:
        return tokenizer.token_id(text)
    except TokenizerError:
        raise TokenizerError(
            f"{path}: {role}_token {text!r} is not a token of this tokenizer"
        ) from None


def _no_tokenizer_error(directory: Path) -> TokenizerError:
    looked_for = (
        f"{TIKTOKEN_CONFIG_FILE} (+ its rank file), tokenizer.json, or vocab.json + merges.txt"
    )
    model_file = directory / "tokenizer.model"
    if model_file.is_file():
        if _looks_like_tiktoken(model_file):
            return TokenizerError(
                f"{model_file} is a tiktoken rank file (as Llama-3 ships), which holds no "
                f"pre-tokenizer regex: add a {TIKTOKEN_CONFIG_FILE} naming it as rank_file, or "
                "call load_tiktoken_file(path, pattern=..., special_tokens=...)"
            )
        return TokenizerError(
            f"{model_file} is a SentencePiece model; tiktoken cannot reproduce SentencePiece "
            "exactly and promptcraft has no sentencepiece fallback (looked for "
            f"{looked_for} in {directory})"
        )
    rank_files = sorted(directory.glob("*.tiktoken"))
    if rank_files:
        return TokenizerError(
            f"{rank_files[0]} has no {TIKTOKEN_CONFIG_FILE} next to it holding its regex "
            "and special tokens"
        )
    return TokenizerError(f"no tokenizer in {directory}: looked for {looked_for}")


def _looks_like_tiktoken(path: Path) -> bool:
    with path.open("rb") as file:
        first = file.readline(1024).split()
    if len(first) != 2 or not first[1].isdigit():
        return False
    try:
        base64.b64decode(first[0], validate=True)
    except binascii.Error:
        return False
    return True


def _fields(error: ValidationError) -> str:
    """A pydantic error as one line: ``field: problem; ...``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'value'}: {item['msg']}"
        for item in error.errors()
    )


def _read_json(path: Path) -> dict[str, Any]:
    return read_json_object(path, TokenizerError)
