"""JSON Lines with line numbers: the one reader behind evaluation datasets, tuning data and
``examples_file`` of ``.prompt`` files. Each caller turns :class:`JsonLineError` into its own
error type, so the message names the file and line in that caller's terms.
:func:`read_json_object` reads one JSON object file (a model's config.json, a tokenizer.json)
the same way: the caller says which error to raise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["JsonLineError", "read_json_lines", "read_json_object"]


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


def read_json_object(path: Path, make_error: Callable[[str], Exception]) -> dict[str, Any]:
    """The JSON object in the file at ``path``. A file that is missing, unreadable, not UTF-8,
    not JSON (the message names the line) or not an object raises ``make_error(message)``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise make_error(f"{path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise make_error(f"{path}: not UTF-8 text (byte {exc.start} is invalid)") from None
    except OSError as exc:
        raise make_error(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise make_error(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise make_error(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data
