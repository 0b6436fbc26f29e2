"""Translate pre-tokenizer regexes between tiktoken's and Hugging Face's regex dialects.

tiktoken compiles patterns with fancy-regex (Rust); Hugging Face ``tokenizers`` with
Oniguruma in Ruby syntax. The same text means different things in two places that real
patterns use (tiktoken's own cl100k pattern has both):

- ``X{1,3}+`` is possessive in fancy-regex but "``X{1,3}``, one or more times" in Ruby;
- ``$`` / ``^`` are the ends of the text in fancy-regex but of any *line* in Ruby.

Everything else these patterns use (``\\p{L}``, classes, ``(?i:...)``, lookahead, ``?+``,
``*+``, ``++``) reads the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["from_oniguruma", "to_oniguruma"]

_INTERVAL = re.compile(r"\{\d+(?:,\d*)?\}")


def to_oniguruma(pattern: str) -> str:
    """A tiktoken (fancy-regex) pattern rewritten to match the same in HF tokenizers."""
    return _translate(
        pattern,
        anchors={"$": r"\z", "^": r"\A"},
        possessive_interval=lambda atom, interval: f"(?>{atom}{interval})",
    )


def from_oniguruma(pattern: str) -> str:
    """A HF tokenizers (Oniguruma, Ruby syntax) pattern rewritten for tiktoken."""
    return _translate(
        pattern,
        anchors={"$": "(?m:$)", "^": "(?m:^)"},
        possessive_interval=lambda atom, interval: f"(?:{atom}{interval})+",
    )


def _translate(
    pattern: str, *, anchors: dict[str, str], possessive_interval: Callable[[str, str], str]
) -> str:
    """Rewrite anchors and ``{m,n}+`` outside character classes, keeping the rest verbatim.

    The output is built as a list of pieces in which each atom (escape, class, group,
    literal) is one piece, so a quantifier can find the atom it applies to.
    """
    out: list[str] = []
    groups: list[int] = []  # index in `out` where each open group starts
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            end = _escape_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif char == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif char == "(":
            groups.append(len(out))
            out.append("(")
            i += 1
        elif char == ")" and groups:
            start = groups.pop()
            out[start:] = ["".join(out[start:]) + ")"]
            i += 1
        elif char == "{" and out and (interval := _INTERVAL.match(pattern, i)):
            i = interval.end()
            if i < n and pattern[i] == "+":
                out[-1] = possessive_interval(out[-1], interval.group())
                i += 1
            else:
                out[-1] += interval.group()
        elif char in "*+?" and out:
            out[-1] += char  # a quantifier (or its lazy/possessive suffix) joins its atom
            i += 1
        elif char in anchors:
            out.append(anchors[char])
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _escape_end(pattern: str, start: int) -> int:
    """End of the escape at ``start`` (``\\s``, ``\\p{L}``, ``\\x{263a}``, ``\\pL``)."""
    end = start + 2
    if end > len(pattern):
        return len(pattern)
    letter = pattern[start + 1]
    if letter in "pPx" and end < len(pattern) and pattern[end] == "{":
        close = pattern.find("}", end)
        return len(pattern) if close < 0 else close + 1
    if letter in "pP":
        return min(end + 1, len(pattern))
    return end


def _class_end(pattern: str, start: int) -> int:
    """End of the character class opening at ``start`` (nested classes included)."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":  # a leading "]" is a literal
        i += 1
    depth = 1
    while i < len(pattern) and depth:
        char = pattern[i]
        if char == "\\":
            i = _escape_end(pattern, i)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        i += 1
    return i
