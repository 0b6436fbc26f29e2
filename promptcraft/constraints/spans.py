"""String fields copied from a source text: each plain string in a JSON schema may only be a
run of whole words of that text, written as it is there (``json_schema(Person,
copy_from=text)``). guidance's ``substring`` constrains a generation the same way.

Why: a small model asked to extract a field often writes something near it instead, such as
a city the text never names ("Mozambia" for "Milan"), a weekday from nowhere, or a time
reformatted with invented minutes ("11:01 AM" for "11 am"). Extraction copies, so the
constraint lets it only copy. It is no help where the field is not in the text verbatim
(a normalised value, a number written in words): leave those fields to a ``pattern``, an
``enum`` or a number type, which this does not touch.

A span starts and ends at a word (letters and digits, with inner ``'``, ``-``, ``.``, ``:``
or ``/`` as in "o'clock", "38-year-old", "9:30"), and what lies between its words is copied
too ("Tuesday, 10 am"). Spans never cross a quote, a backslash or a control character, which
JSON would escape. The pattern lists, for each word, the runs that start there, as nested
optional groups: ``max_words`` (12 by default) bounds each span, which keeps the pattern
linear in the length of the text; with ``max_words=None`` it grows with the square of it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import regex as regex_engine

from ..errors import ConstraintError
from .pattern_atoms import literal

__all__ = [
    "DEFAULT_SPAN_WORDS",
    "MAX_SOURCE_WORDS",
    "copy_strings",
    "is_span_pattern",
    "span_pattern",
]

#: Words in one copied span by default: a name, a place, an item or a date is shorter. It
#: keeps the pattern linear in the text: 156 words of text compile in about a second on
#: SmolLM2, where unbounded spans of 78 words take 7 s and of 156 words are refused.
DEFAULT_SPAN_WORDS = 12
#: Words of source text at most when spans are unbounded (``max_words=None``).
MAX_SOURCE_WORDS = 100

_WORD = re.compile(r"\w+(?:['\u2019.:/-]\w+)*")
# What JSON writes escaped: a span never runs across these.
_UNCOPYABLE = re.compile(r'["\\\x00-\x1f]')
# Keys under which a string schema already says what its value is.
_DECIDED = ("enum", "const", "format")
# How a copied span's pattern starts in a schema: an empty group, which changes no match,
# marks it as ours, so a value outside it is reported as not copied, not by the pattern.
_SPAN_START = "^(?:)"


def span_pattern(text: str, *, max_words: int | None = DEFAULT_SPAN_WORDS) -> str:
    """A regular expression matching exactly the runs of whole words of ``text`` (at most
    ``max_words`` words each), verbatim. Raises :class:`ConstraintError` when ``text`` has
    no word, or more than :data:`MAX_SOURCE_WORDS` words with ``max_words=None``."""
    words, limit = _words(text, max_words)
    runs = {_runs_from(text, words, start, limit) for start in range(len(words))}
    return "(?:" + "|".join(sorted(runs)) + ")"


def copy_strings(
    schema: Mapping[str, Any], text: str, *, max_words: int | None = DEFAULT_SPAN_WORDS
) -> dict[str, Any]:
    """``schema`` with every string (``null`` may be allowed too) restricted to a span of
    ``text`` (:func:`span_pattern`) instead of a length, at any depth. A string with a
    ``pattern`` of its own (an email) may only be a span that matches it, when the text has
    one; strings with an ``enum``, a ``const`` or a ``format`` are left as they are."""
    anchored = _SPAN_START + span_pattern(text, max_words=max_words) + "$"
    copied = json.loads(json.dumps(schema))
    # every span, listed once and only when a patterned string needs them
    spans = functools.cache(lambda: _all_spans(text, max_words))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("anyOf", "oneOf"):
                if isinstance(node.get(key), list):
                    node[key] = _without_uncopyable(node[key], spans)
            kind = node.get("type")
            is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
            if is_string and not any(key in node for key in _DECIDED):
                if "pattern" not in node:
                    node["pattern"] = anchored
                else:
                    _narrow(node, spans())
                if is_span_pattern(node["pattern"]):
                    # a length bound would win over the pattern in outlines-core's regex;
                    # the span has its own (max_words)
                    node.pop("maxLength", None)
                    node.pop("minLength", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(copied)
    assert isinstance(copied, dict)
    return copied


def is_span_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is a schema pattern that :func:`copy_strings` wrote."""
    return pattern.startswith(_SPAN_START)


def _words(text: str, max_words: int | None) -> tuple[list[tuple[int, int]], int]:
    """The words of ``text`` as (start, end), and the most a span may take."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        raise ConstraintError(
            "copy_from has no word to copy: give the text the fields come from",
            kind="json_schema",
        )
    if max_words is not None and max_words < 1:
        raise ConstraintError(f"max_words must be at least 1, not {max_words}", kind="json_schema")
    if max_words is None and len(words) > MAX_SOURCE_WORDS:
        raise ConstraintError(
            f"copy_from has {len(words)} words; spans of a text longer than "
            f"{MAX_SOURCE_WORDS} words need a bound (such as max_words=12)",
            kind="json_schema",
        )
    return words, max_words or len(words)


def _all_spans(text: str, max_words: int | None) -> list[str]:
    """Every span :func:`span_pattern` matches, listed."""
    words, limit = _words(text, max_words)
    found: set[str] = set()
    for start in range(len(words)):
        for end in range(start, min(len(words), start + limit)):
            if end > start and _UNCOPYABLE.search(text[words[end - 1][1] : words[end][0]]):
                break
            found.add(text[words[start][0] : words[end][1]])
    return sorted(found)


def _narrow(node: dict[str, Any], spans: list[str]) -> None:
    """A string with a pattern: only the spans that match it, when there are some; else
    the pattern alone, as it was."""
    matching = _matching(node, spans)
    if matching:
        node["pattern"] = _SPAN_START + "(?:" + "|".join(map(literal, matching)) + ")$"


def _matching(node: dict[str, Any], spans: list[str]) -> list[str] | None:
    """The spans matching a string schema's ``pattern`` (JSON-schema semantics: a search);
    None when it has none, or one that Python's ``regex`` cannot read."""
    pattern = node.get("pattern")
    if not isinstance(pattern, str) or any(key in node for key in _DECIDED):
        return None
    try:
        return [span for span in spans if regex_engine.search(pattern, span)]
    except regex_engine.error:
        return None


def _without_uncopyable(options: list[Any], spans: Callable[[], list[str]]) -> list[Any]:
    """The options of an ``anyOf``/``oneOf`` less the patterned strings that no span of the
    text matches, when a ``null`` option is left to say the text has none (an email field of
    a text without an email is then null, not an invented address)."""
    if not any(isinstance(o, dict) and o.get("type") == "null" for o in options):
        return options
    kept = [
        o
        for o in options
        if not (isinstance(o, dict) and o.get("type") == "string" and _matching(o, spans()) == [])
    ]
    return kept if kept else options


def _runs_from(text: str, words: list[tuple[int, int]], start: int, limit: int) -> str:
    """The runs starting at word ``start``: ``w0(?:g0w1(?:g1w2)?)?``, built from the end."""
    runs = ""
    for i in range(min(len(words), start + limit) - 1, start - 1, -1):
        word = literal(text[words[i][0] : words[i][1]])
        gap = text[words[i][1] : words[i + 1][0]] if runs else ""
        # after the last word, or at a gap a span cannot cross, the run ends here
        longer = runs and not _UNCOPYABLE.search(gap)
        runs = f"{word}(?:{literal(gap)}{runs})?" if longer else word
    return runs
