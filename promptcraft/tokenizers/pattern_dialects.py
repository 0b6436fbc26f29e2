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

from ..utils.regex_scan import class_end, escape_end

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
            end = escape_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif char == "[":
            end = class_end(pattern, i)
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
