"""JSON Lines with line numbers: the one reader behind evaluation datasets, tuning data and
``examples_file`` of ``.prompt`` files. Each caller turns :class:`JsonLineError` into its own
error type, so the message names the file and line in that caller's terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = ["JsonLineError", "read_json_lines"]


class JsonLineError(ValueError):
    """Line ``line`` (1-based) is not valid JSON: ``reason`` at ``column``."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


def read_json_lines(text: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line of ``text``, in order; raises
    :class:`JsonLineError` at the first line that is not valid JSON."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise JsonLineError(number, exc.colno, exc.msg) from None
        yield number, value
