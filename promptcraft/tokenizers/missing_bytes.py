"""Encode text holding bytes that a vocabulary has no token for, exactly as Hugging Face does.

A byte-level BPE trained with Hugging Face ``tokenizers`` starts from the bytes its corpus
held, so its vocabulary may lack a few single bytes: SmolLM2's lacks 21 (rare control
characters and the UTF-8 lead bytes of unassigned planes). Hugging Face's BPE, with no
``unk_token``, skips a character it has no token for and merges the symbols left in that
pre-tokenizer chunk as if the byte had never been there: ``"a\\x04b"`` is one GPT-2 chunk
per character, so it becomes ``a`` and ``b``, while in one chunk ``"!\\x04!"`` becomes ``!!``.
tiktoken cannot do this: it panics on a byte it has no rank for.

So :class:`~promptcraft.tokenizers.Tokenizer` hands text without a missing byte (nearly all
text) straight to tiktoken, and only the rest to :class:`MissingByteEncoder`, which runs
tiktoken's own pipeline in Python with one step added: special tokens, the same regex split
(by the ``regex`` module, which reads tiktoken's patterns as its fancy-regex does, and which
tiktoken itself uses for the same job), then per chunk: drop the missing bytes and BPE the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import regex
import tiktoken

from ..errors import TokenizerError

__all__ = ["MissingByteEncoder", "bpe_parts", "missing_single_bytes"]


def missing_single_bytes(ranks: Mapping[bytes, int]) -> bytes:
    """The bytes (in order) that have no single-byte token in ``ranks``."""
    return bytes(b for b in range(256) if bytes([b]) not in ranks)


def bpe_parts(piece: bytes, ranks: Mapping[bytes, int], *, below: int) -> list[bytes]:
    """tiktoken's BPE of ``piece`` without its whole-piece shortcut: starting from single
    bytes, join the adjacent pair whose join has the lowest rank below ``below`` until no
    pair joins."""
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best, at = below, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1], below)
            if rank < best:
                best, at = rank, i
        if at < 0:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return parts


class MissingByteEncoder:
    """Encodes text for a tiktoken ``encoding`` whose ranks lack the single bytes ``missing``,
    dropping each missing byte inside its pre-tokenizer chunk, as Hugging Face does.

    Slower than tiktoken (the split and the special tokens run in Python), so callers use
    :meth:`needed` to send only the texts that hold a missing byte here.
    """

    def __init__(self, encoding: tiktoken.Encoding, missing: bytes):
        self.encoding = encoding
        self.missing = missing
        self._ranks: dict[bytes, int] = encoding._mergeable_ranks
        self._above_all_ranks = max(self._ranks.values(), default=-1) + 1
        try:
            self._splitter = regex.compile(encoding._pat_str)
        except regex.error as exc:
            raise TokenizerError(
                f"tokenizer {encoding.name!r}: its vocabulary lacks {len(missing)} single bytes, "
                f"and encoding text that holds them needs Python's regex module to read the "
                f"pattern {encoding._pat_str!r}, which it cannot: {exc}"
            ) from None
        self._special_finders: dict[frozenset[str], regex.Pattern[str]] = {}

    def needed(self, text: str) -> bool:
        """Whether ``text`` holds a missing byte (or a lone surrogate, which tiktoken turns into
        U+FFFD before encoding; :meth:`encode` does the same, then drops what is missing)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return len(data.translate(None, self.missing)) != len(data)  # faster than a regex

    def encode(self, text: str, allowed_special: Set[str]) -> list[int]:
        """Token ids of ``text``; the ``allowed_special`` texts are matched as special tokens,
        leftmost first and, where two start at one place, the longest."""
        text = _without_lone_surrogates(text)
        ids: list[int] = []
        start = 0
        if allowed_special:
            specials = self.encoding._special_tokens
            for match in self._special_finder(frozenset(allowed_special)).finditer(text):
                ids += self._encode_ordinary(text[start : match.start()])
                ids.append(specials[match.group()])
                start = match.end()
        ids += self._encode_ordinary(text[start:])
        return ids

    def _encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = []
        for chunk in self._splitter.finditer(text):
            ids += self._encode_chunk(chunk.group().encode("utf-8"))
        return ids

    def _encode_chunk(self, data: bytes) -> list[int]:
        kept = data.translate(None, self.missing)
        if not kept:
            return []
        if len(kept) < len(data) and len(kept) > 1 and kept in self._ranks:
            # tiktoken emits a chunk that is a whole token directly; Hugging Face (with
            # ignore_merges) only when the chunk as written is one, which a chunk holding a
            # missing byte never is. Plain BPE is what it runs on the rest.
            parts = bpe_parts(kept, self._ranks, below=self._above_all_ranks)
            return [self._ranks[part] for part in parts]
        return self.encoding._encode_single_piece(kept)

    def _special_finder(self, allowed: frozenset[str]) -> regex.Pattern[str]:
        finder = self._special_finders.get(allowed)
        if finder is None:
            longest_first = sorted(allowed, key=len, reverse=True)
            finder = regex.compile("|".join(regex.escape(text) for text in longest_first))
            self._special_finders[allowed] = finder
        return finder


def _without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, as tiktoken's ``encode`` does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
