"""What a client's ``response_format`` may ask of the server's constrained decoding.

Constrained decoding compiles the schema's regex into an automaton over the vocabulary.
That costs memory in proportion to the regex with its counted repetitions expanded
(``{"maxLength": 500}`` is 500 copies of a character): measured on the bundled model,
about 0.1 MB per position and a second per ten thousand. A client-supplied schema with
``"minLength": 100000`` once grew the server past 20 GB until the kernel killed it. So the
server refuses, with a 400 naming ``response_format``, a schema whose regex expands past
:data:`MAX_PATTERN_SIZE` positions.

The schema's root must be an object, as in OpenAI's structured outputs. Besides matching
what OpenAI clients expect, it avoids a pathological compile: a bare root string with
``"maxLength": 20`` takes 86 seconds and 4.8 GB, while the same string as a property
compiles in milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..regex_scan import class_end, escape_end
from .errors import APIError

__all__ = ["MAX_PATTERN_SIZE", "check_enforceable", "expanded_size"]

MAX_PATTERN_SIZE = 4096

_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def check_enforceable(schema: Mapping[str, Any], pattern: str) -> None:
    """Raise an :class:`APIError` (400, ``response_format``) unless the server will compile
    ``schema`` (whose regex is ``pattern``) for constrained decoding."""
    kind = schema.get("type")
    if not (kind == "object" or (kind is None and "properties" in schema)):
        raise APIError(
            400,
            "the response_format json_schema must have an object at its root "
            '({"type": "object", "properties": {...}}), as in OpenAI\'s structured outputs; '
            "to get another value, make it a property of the object",
            param="response_format",
            code="invalid_value",
        )
    size = expanded_size(pattern, limit=MAX_PATTERN_SIZE)
    if size > MAX_PATTERN_SIZE:
        raise APIError(
            400,
            "the response_format schema is too large to enforce by constrained decoding: with "
            "its counts (maxLength, minLength, maxItems, minItems, {n} in a pattern) expanded "
            f"it has more than {MAX_PATTERN_SIZE} positions; lower those counts (nested "
            "counts multiply)",
            param="response_format",
            code="invalid_value",
        )


def expanded_size(pattern: str, *, limit: int) -> int:
    """The number of atoms in ``pattern`` with every counted repetition ``x{m,n}`` written
    out as ``max(m, n)`` copies of ``x``; scanning stops once it passes ``limit``. Character
    classes and escapes count one each; ``*``, ``+`` and ``?`` add nothing."""
    # One frame per open group: the sizes of its finished alternatives, the running size
    # of the current one, and the size of its last atom (what a quantifier repeats).
    frames: list[list[int]] = [[0, 0, 0]]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        atom = None
        if char == "\\":
            i = escape_end(pattern, i)
            atom = 1
        elif char == "[":
            i = class_end(pattern, i)
            atom = 1
        elif char == "(":
            i = _group_start_end(pattern, i)
            if pattern[i - 1] != ")":  # not a bare flag group like (?i)
                frames.append([0, 0, 0])
            continue
        elif char == ")" and len(frames) > 1:
            done, current, _ = frames.pop()
            i += 1
            atom = done + current
        elif char == "|":
            frame = frames[-1]
            frame[0] += frame[1]
            frame[1] = frame[2] = 0
            i += 1
            continue
        elif char == "{" and (count := _COUNT.match(pattern, i)):
            low, high = count.group(1), count.group(2)
            times = min(int(high) if high else int(low), limit + 1)
            frame = frames[-1]
            frame[1] += frame[2] * max(times - 1, 0)
            frame[2] *= times
            i = count.end()
        elif char in "*+?":
            i += 1
            continue
        else:
            i += 1
            atom = 1
        if atom is not None:
            frame = frames[-1]
            frame[1] += atom
            frame[2] = atom
        if frames[0][0] + frames[0][1] > limit or frames[-1][1] > limit:
            return limit + 1
    while len(frames) > 1:  # unbalanced: close what is open
        done, current, _ = frames.pop()
        frames[-1][1] += done + current
    return frames[0][0] + frames[0][1]


def _group_start_end(pattern: str, i: int) -> int:
    """The index after a group's opening: ``(``, ``(?:``, ``(?P<name>``, ``(?i:``, or the
    whole of a flag group ``(?i)``."""
    if pattern[i + 1 : i + 2] != "?":
        return i + 1
    j = i + 2
    while j < len(pattern) and pattern[j] not in ":>)":
        j += 1
    return j + 1
