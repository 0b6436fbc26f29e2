"""A constraint's regular expression read atom by atom, without compiling it: how large it
is once its counted repetitions are written out (:func:`expanded_size`), and whether some
character can occur anywhere in a match (:func:`can_match_char`).

The patterns are in the dialect of Rust's ``regex`` crate (what ``outlines-core`` compiles),
which Python's ``re`` parser does not accept in full, so :func:`scan` walks the text itself
with :mod:`promptcraft.utils.regex_scan`. Both questions are answered conservatively: a size is
never under-counted, and a character is said to be matchable whenever unsure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import regex as regex_engine

from ..utils.regex_scan import class_end, escape_end

__all__ = ["Piece", "can_match_char", "expanded_size", "literal", "scan", "strip_anchors"]

_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
# Escapes that match one of many characters; every other escape is one literal character
# (``\.``, ``\n``, ``\x41``, ``\u00e9``) or an assertion.
_CLASS_ESCAPES = frozenset("dDwWsSpP")
_ASSERTION_ESCAPES = frozenset("bBAzZ<>")
# Characters with a meaning in a regular expression (Rust's dialect included); a literal
# escapes them.
_REGEX_META = frozenset("\\.+*?()|[]{}^$-&~#")


class Piece(NamedTuple):
    """One piece of a pattern. ``kind``: ``literal`` (one character), ``class`` (a bracket
    class, ``.`` or a class escape such as ``\\d``), ``assertion`` (``^``, ``\\b``...),
    ``open``/``close`` (a group), ``flags`` (a bare flag group such as ``(?s)``), ``alt``
    (``|``), ``count`` (``{m,n}``: ``low``/``high``, ``high`` ``None`` when unbounded) or
    ``repeat`` (``*``, ``+``, ``?``)."""

    kind: str
    text: str
    low: int = 0
    high: int | None = 0


def literal(text: str) -> str:
    """``text`` as a pattern that matches exactly it."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def scan(pattern: str) -> Iterator[Piece]:
    """The pieces of ``pattern``, left to right."""
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            end = escape_end(pattern, i)
            letter = pattern[i + 1 : i + 2]
            kind = (
                "class"
                if letter in _CLASS_ESCAPES
                else "assertion"
                if letter in _ASSERTION_ESCAPES
                else "literal"
            )
            yield Piece(kind, pattern[i:end])
            i = end
        elif char == "[":
            end = class_end(pattern, i)
            yield Piece("class", pattern[i:end])
            i = end
        elif char == "(":
            end = min(_group_start_end(pattern, i), n)
            bare_flags = pattern[end - 1] == ")" and end - i > 1
            yield Piece("flags" if bare_flags else "open", pattern[i:end])
            i = end
        elif char == ")":
            yield Piece("close", char)
            i += 1
        elif char == "|":
            yield Piece("alt", char)
            i += 1
        elif char == "{" and (count := _COUNT.match(pattern, i)):
            low, high = count.group(1), count.group(2)
            upper = int(low) if high is None else (int(high) if high else None)
            yield Piece("count", count.group(0), int(low), upper)
            i = count.end()
        elif char in "*+?":
            yield Piece("repeat", char)
            i += 1
        elif char in "^$":
            yield Piece("assertion", char)
            i += 1
        elif char == ".":
            yield Piece("class", char)
            i += 1
        else:
            yield Piece("literal", char)
            i += 1


def expanded_size(pattern: str, *, limit: int, weight: Callable[[Piece], int] | None = None) -> int:
    """The number of atoms in ``pattern`` with every counted repetition ``x{m,n}`` written
    out as ``max(m, n)`` copies of ``x`` (``x{m,}``: ``m`` copies); alternatives add up.
    Each literal or class counts ``weight(piece)`` (default 1); ``*``, ``+``, ``?`` and
    assertions add nothing. Scanning stops once the size passes ``limit``, and then
    returns ``limit + 1``. Nested counts multiply: ``(x{100}){100}`` is 10,000."""
    # One frame per open group: the size of its finished alternatives, the running size
    # of the current one, and the size of its last atom (what a quantifier repeats).
    frames: list[list[int]] = [[0, 0, 0]]
    for piece in scan(pattern):
        atom: int | None = None
        if piece.kind in ("literal", "class"):
            atom = weight(piece) if weight is not None else 1
        elif piece.kind == "open":
            frames.append([0, 0, 0])
        elif piece.kind == "close":
            if len(frames) > 1:
                done, current, _ = frames.pop()
                atom = done + current
            else:  # an unbalanced ")": counted as a character
                atom = 1
        elif piece.kind == "alt":
            frame = frames[-1]
            frame[0] += frame[1]
            frame[1] = frame[2] = 0
        elif piece.kind == "count":
            times = min(piece.high if piece.high is not None else piece.low, limit + 1)
            frame = frames[-1]
            frame[1] += frame[2] * max(times - 1, 0)
            frame[2] *= times
        if atom is not None:
            frame = frames[-1]
            frame[1] += atom
            frame[2] = atom
        if frames[0][0] + frames[0][1] > limit or frames[-1][1] > limit:
            return limit + 1
    while len(frames) > 1:  # unbalanced: close what is open
        done, current, _ = frames.pop()
        frames[-1][1] += done + current
    return min(frames[0][0] + frames[0][1], limit + 1)


def can_match_char(pattern: str, char: str) -> bool:
    """Whether ``char`` may occur in some match of ``pattern``: some literal is ``char`` or
    some class may match it. ``True`` when a piece cannot be read (conservative)."""
    pieces = list(scan(pattern))
    # ``.`` matches a newline under an ``s`` flag; any flag group naming ``s`` counts.
    dotall = any(p.kind in ("flags", "open") and "s" in p.text[2:].split(":")[0] for p in pieces)
    seen: set[str] = set()
    for piece in pieces:
        if piece.kind not in ("literal", "class") or piece.text in seen:
            continue
        seen.add(piece.text)
        text = "(?s:.)" if piece.text == "." and dotall else piece.text
        if _piece_matches(text, char):
            return True
    return False


def strip_anchors(expression: str) -> str:
    """``expression`` without a ``^``/``\\A`` opening or a ``$``/``\\z``/``\\Z`` closing
    any of its top-level alternatives (no-ops when the whole output must match)."""
    alternatives: list[list[str]] = [[]]
    depth = 0
    for piece in scan(expression):
        if piece.kind == "alt" and depth == 0:
            alternatives.append([])
            continue
        depth += (piece.kind == "open") - (piece.kind == "close")
        alternatives[-1].append(piece.text)
    for texts in alternatives:
        first = next((i for i, text in enumerate(texts) if not _is_flag_group(text)), None)
        if first is not None and texts[first] in ("^", "\\A"):
            del texts[first]
        if texts and texts[-1] in ("$", "\\z", "\\Z"):
            del texts[-1]
    return "|".join("".join(texts) for texts in alternatives)


def _is_flag_group(text: str) -> bool:
    return text.startswith("(?") and text.endswith(")")


def _piece_matches(text: str, char: str) -> bool:
    try:
        return (
            regex_engine.fullmatch(text, char, flags=regex_engine.V1 | regex_engine.IGNORECASE)
            is not None
        )
    except regex_engine.error:
        return True


def _group_start_end(pattern: str, i: int) -> int:
    """The index after a group's opening: ``(``, ``(?:``, ``(?P<name>``, ``(?<name>``,
    ``(?i:``, or the whole of a bare flag group ``(?i)``."""
    if pattern[i + 1 : i + 2] != "?":
        return i + 1
    j = i + 2
    while j < len(pattern) and pattern[j] not in ":>)":
        j += 1
    return j + 1
