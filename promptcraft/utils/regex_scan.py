"""Where one atom of a regular expression ends, for code that walks a pattern atom by atom.

The patterns promptcraft walks are written for Rust regex engines (tiktoken's fancy-regex,
outlines-core's ``regex``), whose syntax Python's ``re`` parser does not accept in full
(``\\p{L}``, ``\\x{263a}``, nested classes such as ``[a-z&&[^x]]``), so the walkers scan the
text themselves with these two helpers.
"""

from __future__ import annotations

__all__ = ["class_end", "escape_end"]

# Escapes followed by a fixed number of characters when written without braces.
_ESCAPE_DIGITS = {"p": 1, "P": 1, "x": 2, "u": 4, "U": 8}


def escape_end(pattern: str, start: int) -> int:
    """The index after the escape at ``pattern[start] == "\\"``: ``\\s``, ``\\pL``,
    ``\\p{L}``, ``\\x41``, ``\\x{263a}``, ``\\u0041``."""
    end = start + 2
    if end > len(pattern):
        return len(pattern)
    letter = pattern[start + 1]
    if letter in _ESCAPE_DIGITS and pattern[end : end + 1] == "{":
        close = pattern.find("}", end)
        return len(pattern) if close < 0 else close + 1
    return min(end + _ESCAPE_DIGITS.get(letter, 0), len(pattern))


def class_end(pattern: str, start: int) -> int:
    """The index after the character class opening at ``pattern[start] == "["``. Classes
    may nest; a ``]`` first in a class (after an optional ``^``) is a literal."""
    depth = 0
    i = start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i = escape_end(pattern, i)
            continue
        i += 1
        if char == "[":
            depth += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":
                i += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
    return len(pattern)
