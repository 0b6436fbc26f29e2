"""Typed reads of a checkpoint's JSON files (config.json and its companions).

A checkpoint is written by hand as often as by a library, so every value is checked as it
is read, and an error names the file and the key as written there: the user fixes
``num_hidden_layers`` in config.json, not a field of our ModelConfig.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ...errors import ModelLoadError
from ...utils.jsonl import read_json_object

__all__ = ["MISSING", "JsonKeys", "read_json_file", "read_text_file", "show_json"]

#: The ``default`` of a required key.
MISSING: Any = object()


def show_json(value: Any) -> str:
    return "null" if value is None else json.dumps(value)[:80]


class JsonKeys:
    """Typed reads of one JSON object. Errors name the file and the key as written there
    (``prefix`` qualifies nested keys, such as ``rope_parameters.``)."""

    def __init__(self, data: dict[str, Any], source: str, architecture: str, prefix: str = ""):
        self.data = data
        self.source = source
        self.architecture = architecture
        self.prefix = prefix

    def nested(self, key: str) -> JsonKeys | None:
        """The object under ``key`` (None when absent or null)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"must be an object, not {show_json(value)}")
        return JsonKeys(value, self.source, self.architecture, f"{self.prefix}{key}.")

    def error(self, key: str, problem: str) -> ModelLoadError:
        return ModelLoadError(f"{self.source}: {self.prefix}{key} {problem}", path=self.source)

    def _default(self, key: str, default: Any) -> Any:
        """What an absent (or null) ``key`` means: ``default``, or an error if required."""
        if default is MISSING:
            raise self.error(key, f"is missing ({self.architecture} needs it)")
        return default

    def integer(self, key: str, default: Any = MISSING, *, minimum: int = 1) -> Any:
        value = self.data.get(key)
        if value is None:
            return self._default(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, not {show_json(value)}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, default: Any = MISSING) -> Any:
        """A positive, finite number."""
        value = self.data.get(key)
        if value is None:
            return self._default(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, not {show_json(value)}")
        if not math.isfinite(value) or value <= 0:
            raise self.error(key, f"must be a positive number, not {value}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {show_json(value)}")
        return value

    def text(self, key: str, default: Any = MISSING) -> Any:
        value = self.data.get(key)
        if value is None:
            return self._default(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {show_json(value)}")
        return value


def read_text_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ModelLoadError(
            f"{path}: not UTF-8 text (byte {exc.start} is invalid)", path=str(path)
        ) from None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}", path=str(path)) from None


def read_json_file(path: Path) -> dict[str, Any]:
    return read_json_object(path, lambda message: ModelLoadError(message, path=str(path)))
