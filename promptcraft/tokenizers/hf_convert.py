"""Exact conversion between Hugging Face byte-level BPE and tiktoken mergeable ranks.

Hugging Face stores a byte-level BPE as a vocabulary of *printable strings* (GPT-2 maps
each byte to a visible character, e.g. space -> "Ġ") plus an ordered list of merges.
tiktoken stores token bytes -> rank and, at encode time, repeatedly merges the adjacent
pair whose concatenation has the lowest rank. The two agree when ids rise in merge order,
so the rank of a token can be its id; these functions check exactly that, and refuse
tokenizers (SentencePiece-style, Unigram, WordPiece, ...) that tiktoken cannot reproduce.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, cast

import regex
from pydantic import BaseModel, ConfigDict

from ..errors import TokenizerError
from .missing_bytes import bpe_parts
from .pattern_dialects import from_oniguruma
from .tokenizer import (
    GPT2_DIGIT_RUN_PATTERN,
    GPT2_PATTERN,
    GPT2_SINGLE_DIGIT_PATTERN,
    Normalization,
)

__all__ = [
    "AddedToken",
    "ConvertedBPE",
    "byte_to_unicode",
    "bytes_to_token_string",
    "convert_byte_level_bpe",
    "merges_from_ranks",
    "normalization_from_spec",
    "pattern_from_pre_tokenizer",
    "token_string_to_bytes",
]

_SENTENCEPIECE_HINT = (
    "it is a SentencePiece-style tokenizer (Metaspace '▁' words with byte fallback, as in "
    "Llama-2 or Mistral v0.1), which tiktoken cannot reproduce exactly; promptcraft only "
    "loads byte-level BPE tokenizers (GPT-2, Llama-3, Qwen2 style) and has no "
    "sentencepiece/tokenizers fallback"
)


class AddedToken(BaseModel):
    """One entry of ``added_tokens`` in ``tokenizer.json``."""

    model_config = ConfigDict(extra="ignore")

    id: int
    content: str
    special: bool = False
    lstrip: bool = False
    rstrip: bool = False
    single_word: bool = False


class ConvertedBPE(BaseModel):
    """Everything a :class:`~promptcraft.tokenizers.Tokenizer` needs, from a HF tokenizer."""

    mergeable_ranks: dict[bytes, int]
    special_tokens: dict[str, int]
    added_tokens: list[str]  # non-special added tokens: matched in ordinary text


@functools.cache
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from each byte to a printable character.

    Printable Latin-1 bytes map to themselves; the rest (controls, space, ...) are shifted
    to code points from 256 up, so that no token string contains whitespace.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + shifted)
            shifted += 1
    return mapping


@functools.cache
def _unicode_to_byte() -> dict[str, int]:
    return {char: b for b, char in byte_to_unicode().items()}


def bytes_to_token_string(token: bytes) -> str:
    """The byte-level (printable) spelling of ``token``."""
    table = byte_to_unicode()
    return "".join(table[b] for b in token)


def token_string_to_bytes(token: str, *, source: str) -> bytes:
    """The bytes a byte-level token string stands for; ``source`` names where it came from."""
    table = _unicode_to_byte()
    try:
        return bytes(table[char] for char in token)
    except KeyError as exc:
        hint = _SENTENCEPIECE_HINT if "▁" in token else "it is not a byte-level BPE vocabulary"
        raise TokenizerError(
            f"{source}: token {token!r} has the character {exc.args[0]!r}, which is outside "
            f"GPT-2's byte alphabet: {hint}"
        ) from None


def convert_byte_level_bpe(
    vocab: Mapping[str, int],
    merges: Sequence[tuple[str, str]],
    *,
    added: Sequence[AddedToken] = (),
    ignore_merges: bool = False,
    source: str,
) -> ConvertedBPE:
    """Convert a HF byte-level BPE (vocab + merges + added tokens) to tiktoken ranks.

    Raises :class:`TokenizerError` naming the offending merge or token when the result
    would not encode exactly like Hugging Face.
    """
    _check_added_ids(added, vocab, source)
    added_ids = {entry.id for entry in added}
    for entry in added:
        if not entry.special and (entry.lstrip or entry.rstrip or entry.single_word):
            raise TokenizerError(
                f"{source}: added token {entry.content!r} (id {entry.id}) strips whitespace or "
                "matches single words only, which tiktoken's literal matching cannot reproduce"
            )

    def to_bytes(token: str) -> bytes:
        return token_string_to_bytes(token, source=f"{source}: vocab")

    ranks: dict[bytes, int] = {}
    for token, token_id in vocab.items():
        if len(token) == 1 and token_id not in added_ids:
            ranks[to_bytes(token)] = token_id

    # A vocabulary may lack single bytes its training corpus never held (SmolLM2 lacks 21):
    # Hugging Face drops such a byte from the text, and so does Tokenizer.encode.
    previous_id, previous_index = -1, -1
    merged: set[str] = set()
    for index, (left, right) in enumerate(merges):
        where = f"{source}: merge #{index + 1} {left!r} + {right!r}"
        result = left + right
        ids = [vocab.get(part) for part in (left, right, result)]
        if any(part_id is None for part_id in ids):
            missing = [p for p, i in zip((left, right, result), ids, strict=True) if i is None]
            raise TokenizerError(f"{where}: {missing[0]!r} is not in the vocabulary")
        left_id, right_id, result_id = cast(list[int], ids)
        if result_id <= left_id or result_id <= right_id:
            raise TokenizerError(
                f"{where}: produces id {result_id}, not higher than its parts' ids "
                f"({left_id}, {right_id}); tiktoken merges by id, so this tokenizer would "
                "encode differently"
            )
        if result_id < previous_id:
            raise TokenizerError(
                f"{where}: produces id {result_id}, lower than the id {previous_id} of merge "
                f"#{previous_index + 1}; tiktoken merges by id, so ids must rise in merge order"
            )
        previous_id, previous_index = result_id, index
        if result not in merged:
            merged.add(result)
            ranks[to_bytes(result)] = result_id

    special_tokens = {entry.content: entry.id for entry in added}
    orphans = {
        token: token_id
        for token, token_id in vocab.items()
        if len(token) > 1 and token not in merged and token_id not in added_ids
    }
    if ignore_merges:
        # Hugging Face emits an orphan for a word that spells it. tiktoken does the same if
        # the orphan is a rank, but would also join any two tokens that spell it inside a
        # longer word, which Hugging Face never does: exact only when no such split exists.
        for token, token_id in sorted(orphans.items(), key=lambda item: item[1]):
            split = next(
                (i for i in range(1, len(token)) if token[:i] in vocab and token[i:] in vocab),
                None,
            )
            if split is not None:
                raise TokenizerError(
                    f"{source}: vocab token {token!r} (id {token_id}) is produced by no merge, "
                    f"but tiktoken would join {token[:split]!r} + {token[split:]!r} into it"
                )
            ranks[to_bytes(token)] = token_id
    else:
        # Without ignore_merges Hugging Face never emits an orphan for ordinary text (GPT-2's
        # vocab.json holds "<|endoftext|>" this way); it stays decodable as a special token.
        for token, token_id in orphans.items():
            special_tokens[to_bytes(token).decode("utf-8", errors="replace")] = token_id

    _check_tokens_rebuilt(vocab, merges, merged, ignore_merges=ignore_merges, source=source)
    return ConvertedBPE(
        mergeable_ranks=ranks,
        special_tokens=special_tokens,
        added_tokens=[entry.content for entry in added if not entry.special],
    )


def _check_added_ids(added: Sequence[AddedToken], vocab: Mapping[str, int], source: str) -> None:
    """Hugging Face ignores the id written for an added token that is not in the vocabulary
    and numbers such tokens on from the vocabulary, in file order; trust the file's ids only
    where they agree."""
    assigned: dict[str, int] = {}
    for token in added:
        expected = vocab.get(token.content, assigned.get(token.content))
        if expected is None:
            highest = max(assigned.values(), default=-1)
            expected = highest + 1 if highest >= len(vocab) else len(vocab)
        assigned[token.content] = expected
        if token.id != expected:
            raise TokenizerError(
                f"{source}: added token {token.content!r} is written with id {token.id}, but "
                f"Hugging Face gives it id {expected} (added tokens outside the vocabulary are "
                "numbered on from it without gaps)"
            )


def _check_tokens_rebuilt(
    vocab: Mapping[str, int],
    merges: Sequence[tuple[str, str]],
    merged: set[str],
    *,
    ignore_merges: bool,
    source: str,
) -> None:
    """tiktoken merges *any* two adjacent parts that spell a token; Hugging Face only the
    listed pairs. They agree when each token's own merges rebuild it from its bytes. With
    ignore_merges, a token that is not rebuilt still agrees if every split of it into two
    tokens is a listed merge (Llama-3's files list them all): a whole word is then emitted
    directly by both, and inside longer words both may join any split."""
    priority = {(vocab[a], vocab[b]): (i, vocab[a + b]) for i, (a, b) in enumerate(merges)}
    listed = set(merges)
    byte_ids = {char: vocab[char] for char in byte_to_unicode().values() if char in vocab}
    for token in merged:
        lacking = next((char for char in token if char not in byte_ids), None)
        if lacking is not None:
            raise TokenizerError(
                f"{source}: token {token!r} (id {vocab[token]}) holds {lacking!r}, a byte the "
                "vocabulary has no single-byte token for; Hugging Face drops that byte from the "
                "text before merging, so no text gives this token, and tiktoken cannot hold it"
            )
        parts = [byte_ids[char] for char in token]
        while len(parts) > 1:
            best: tuple[int, int] | None = None
            at = 0
            for i in range(len(parts) - 1):
                found = priority.get((parts[i], parts[i + 1]))
                if found is not None and (best is None or found[0] < best[0]):
                    best, at = found, i
            if best is None:
                break
            parts[at : at + 2] = [best[1]]
        if parts == [vocab[token]]:
            continue
        unlisted = [
            (token[:i], token[i:])
            for i in range(1, len(token))
            if token[:i] in vocab and token[i:] in vocab and (token[:i], token[i:]) not in listed
        ]
        if ignore_merges and not unlisted:
            continue
        why = (
            f"tiktoken would also join {unlisted[0][0]!r} + {unlisted[0][1]!r}, which no "
            "merge lists"
            if ignore_merges
            else "without ignore_merges Hugging Face splits the word while tiktoken emits it whole"
        )
        raise TokenizerError(
            f"{source}: token {token!r} (id {vocab[token]}) is not rebuilt by its own merges "
            f"(they give ids {parts}): {why}"
        )


def merges_from_ranks(ranks: Mapping[bytes, int]) -> list[tuple[bytes, bytes]]:
    """The merge list that makes a HF BPE encode like tiktoken with ``ranks``.

    For each multi-byte token in rank order, BPE with the lower ranks leaves its bytes in
    exactly two parts: that pair is its merge. A token whose bytes do not come back in two
    parts can still be formed inside a longer word from any two lower-ranked halves, so it
    gets one merge per such split; with ``ignore_merges`` HF emits a whole-word token
    directly, as tiktoken does.
    """
    merges: list[tuple[bytes, bytes]] = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        parts = bpe_parts(token, ranks, below=rank)
        if len(parts) == 2:
            merges.append((parts[0], parts[1]))
            continue
        splits = [
            (token[:i], token[i:])
            for i in range(1, len(token))
            if ranks.get(token[:i], rank) < rank and ranks.get(token[i:], rank) < rank
        ]
        splits.sort(key=lambda split: (ranks[split[0]], ranks[split[1]]))
        merges.extend(splits)
    return merges


def pattern_from_pre_tokenizer(spec: Any, *, source: str) -> str:
    """The single tiktoken regex equivalent to a ``tokenizer.json`` pre-tokenizer."""
    if not isinstance(spec, dict):
        raise TokenizerError(
            f"{source}: pre_tokenizer is missing; a byte-level BPE needs a ByteLevel step"
        )
    steps = spec.get("pretokenizers", []) if spec.get("type") == "Sequence" else [spec]
    patterns: list[str] = []
    digits: bool | None = None  # Digits' individual_digits, once a Digits step was seen
    byte_level = False
    for step in steps:
        kind = step.get("type")
        if byte_level:
            raise TokenizerError(f"{source}: pre_tokenizer step {kind!r} after ByteLevel")
        if kind == "Split":
            patterns.append(_split_pattern(step, source))
        elif kind == "Digits":
            if patterns or digits is not None:
                raise TokenizerError(
                    f"{source}: pre_tokenizer Digits after another splitting step; tiktoken "
                    "applies one regex (supported: Digits directly before ByteLevel)"
                )
            digits = bool(step.get("individual_digits", False))
        elif kind == "ByteLevel":
            if step.get("add_prefix_space", False):
                raise TokenizerError(
                    f"{source}: ByteLevel pre_tokenizer has add_prefix_space=true, which "
                    "changes the text before splitting; tiktoken cannot reproduce it"
                )
            use_regex = step.get("use_regex", True)
            if digits is not None:
                patterns.append(_digits_pattern(digits, use_regex=use_regex))
            elif use_regex:
                patterns.append(GPT2_PATTERN)
            byte_level = True
        elif kind == "Metaspace":
            raise TokenizerError(f"{source}: pre_tokenizer Metaspace: {_SENTENCEPIECE_HINT}")
        else:
            raise TokenizerError(
                f"{source}: pre_tokenizer step {kind!r} has no tiktoken equivalent "
                "(supported: Split with behavior Isolated, or Digits, then ByteLevel)"
            )
    if not byte_level:
        raise TokenizerError(
            f"{source}: the pre_tokenizer has no ByteLevel step, so this is not a byte-level "
            "BPE; tiktoken cannot reproduce it"
        )
    if len(patterns) > 1:
        raise TokenizerError(
            f"{source}: the pre_tokenizer splits with {len(patterns)} regexes in sequence; "
            "tiktoken applies exactly one"
        )
    # ByteLevel without a regex and no Split: Hugging Face runs BPE on the whole text.
    return patterns[0] if patterns else r"[\s\S]+"


def _digits_pattern(individual: bool, *, use_regex: bool) -> str:
    """Digits (each digit, or each run of digits, its own piece), then ByteLevel."""
    if use_regex:
        return GPT2_SINGLE_DIGIT_PATTERN if individual else GPT2_DIGIT_RUN_PATTERN
    return r"\p{N}|\P{N}+" if individual else r"\p{N}+|\P{N}+"


def _split_pattern(step: dict[str, Any], source: str) -> str:
    if step.get("behavior") != "Isolated" or step.get("invert", False):
        raise TokenizerError(
            f"{source}: Split pre_tokenizer with behavior={step.get('behavior')!r}, "
            f"invert={step.get('invert')!r}; only behavior 'Isolated' without invert keeps "
            "every piece, as tiktoken does"
        )
    pattern = step.get("pattern", {})
    if "Regex" in pattern:
        return from_oniguruma(str(pattern["Regex"]))
    if "String" in pattern:
        return str(regex.escape(pattern["String"]))
    raise TokenizerError(f"{source}: Split pre_tokenizer has no Regex or String pattern")


def normalization_from_spec(spec: Any, *, source: str) -> Normalization | None:
    """The Unicode normalization form of a ``tokenizer.json`` normalizer (None: none)."""
    if spec is None:
        return None
    steps = spec.get("normalizers", []) if spec.get("type") == "Sequence" else [spec]
    forms = [step.get("type") for step in steps]
    if len(forms) == 0:
        return None
    if len(forms) == 1 and forms[0] in ("NFC", "NFD", "NFKC", "NFKD"):
        return cast(Normalization, forms[0])
    if any(form in ("Prepend", "Replace") for form in forms):
        raise TokenizerError(f"{source}: normalizer {forms}: {_SENTENCEPIECE_HINT}")
    raise TokenizerError(
        f"{source}: normalizer {forms} has no tiktoken equivalent "
        "(supported: none, or one of NFC, NFD, NFKC, NFKD)"
    )
