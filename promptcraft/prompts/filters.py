"""Filters for writing prompts, on top of Jinja's own.

=================  ==========================================================================
``json``           ``{{ record|json }}``, ``{{ record|json(indent=2) }}``: JSON, non-ASCII kept.
``numbered``       ``{{ steps|numbered }}`` -> ``1. a`` / ``2. b``; ``start=0`` to count from 0.
``bullets``        ``{{ facts|bullets }}`` -> ``- a`` / ``- b``; ``marker="*"`` to change it.
``indent``         ``{{ text|indent(4) }}``: every line, the first included (unlike Jinja's
                   builtin, whose first line is not indented); ``blank=True`` indents empty
                   lines too; the width may be a string such as ``"> "``.
``truncate_tokens``  ``{{ doc|truncate_tokens(500) }}``: at most 500 tokens of the text, counted
                   with the real tokenizer (``encoding="cl100k_base"`` by default, or any name,
                   :class:`~promptcraft.tokenizers.Tokenizer` or backend); ``end="..."`` is
                   appended when it cut.
=================  ==========================================================================

``numbered`` and ``bullets`` take a list (one item a line), a mapping (``key: value`` lines) or
a string (its lines).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import TemplateRenderError, TemplateSecurityError
from ..tokenizers.tokenizer import resolve_tokenizer
from .guards import check_size, current_limits, estimate_size

__all__ = ["PROMPT_FILTERS"]


def json_filter(value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    if indent is not None and (not isinstance(indent, int) or not 0 <= indent <= 16):
        raise TemplateSecurityError("the json filter takes an indent from 0 to 16")
    _check(estimate_size(value, _limit()), "the json filter")
    try:
        text = json.dumps(
            value, ensure_ascii=False, indent=indent, sort_keys=sort_keys, default=_to_json
        )
    except (TypeError, ValueError) as exc:
        raise TemplateRenderError(f"the json filter cannot serialize this value: {exc}") from exc
    _check(len(text), "the json filter")
    return text


def _to_json(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic models
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    iso = getattr(value, "isoformat", None)  # dates and times
    if callable(iso):
        return iso()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.splitlines()
    if isinstance(value, Mapping):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    raise TemplateRenderError(f"expected a list, a mapping or a string, not {value!r}")


def numbered(value: Any, start: int = 1) -> str:
    items = _items(value)
    _check(sum(map(len, items)) + len(items) * 12, "the numbered filter")
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=start))


def bullets(value: Any, marker: str = "-") -> str:
    items = _items(value)
    _check(sum(map(len, items)) + len(items) * (len(str(marker)) + 2), "the bullets filter")
    return "\n".join(f"{marker} {item}" for item in items)


def indent(value: Any, width: int | str = 2, first: bool = True, blank: bool = False) -> str:
    prefix = width if isinstance(width, str) else " " * _bounded(width, "the indent width")
    lines = str(value).split("\n")
    _check(sum(map(len, lines)) + len(lines) * (len(prefix) + 1), "the indent filter")
    out = [
        line if (i == 0 and not first) or (not line.strip() and not blank) else prefix + line
        for i, line in enumerate(lines)
    ]
    return "\n".join(out)


def truncate_tokens(value: Any, n: int, encoding: Any = "cl100k_base", end: str = "") -> str:
    if not isinstance(n, int) or n < 0:
        raise TemplateRenderError(f"truncate_tokens needs a token count >= 0, not {n!r}")
    text = str(value)
    tokenizer = resolve_tokenizer(encoding)
    ids = tokenizer.encode(text)
    if len(ids) <= n:
        return text
    head = ids[:n]
    raw = getattr(getattr(tokenizer, "encoding", None), "decode_bytes", None)
    if callable(raw):
        # A cut can fall inside a multi-byte character; drop that partial character only.
        cut = raw(head).decode("utf-8", errors="ignore")
    else:
        cut = tokenizer.decode(head).rstrip("\ufffd")
    return cut + end


def _limit() -> int:
    return current_limits().max_output_chars


def _check(size: int, what: str) -> None:
    check_size(size, what)


def _bounded(width: Any, what: str) -> int:
    if not isinstance(width, int):
        raise TemplateRenderError(f"{what} must be a number or a string, not {width!r}")
    _check(width, what)
    return max(width, 0)


PROMPT_FILTERS = {
    "json": json_filter,
    "numbered": numbered,
    "bullets": bullets,
    "indent": indent,
    "truncate_tokens": truncate_tokens,
}
