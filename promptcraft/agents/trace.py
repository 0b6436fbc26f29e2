"""A JSONL trace of agent runs, with secrets redacted.

Each line is one record: ``run_start`` (task, model, protocol, tools), one ``step`` per model
turn (an :class:`~.records.AgentStep`), ``protocol_fallback`` when a server refused native
tools, and ``run_end`` (output, usage) or ``run_error`` (reason, message). Every line names
its ``run``, so several runs may share a file (it is appended to).

Redaction, before anything reaches the file:

- values under keys named like a secret (``password``, ``token``, ``secret``, ``api_key``,
  ``authorization``, ``cookie``, ...) become ``[REDACTED]``, and so does every later
  occurrence of those values in any text (the model may have written the password it sent);
- text that looks like a credential (``Bearer ...``, ``sk-...`` keys, ``api_key=...``,
  ``Authorization: ...``) is replaced wherever it appears.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

__all__ = ["REDACTED", "Redactor", "TraceWriter"]

REDACTED = "[REDACTED]"

_SECRET_KEY = re.compile(
    r"(^|[_\-.])(password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|"
    r"authorization|auth|cookie|set-cookie|credentials?|private[_-]?key|"
    r"client[_-]?secret|access[_-]?key|session[_-]?id)$",
    re.I,
)
_SECRET_TEXT = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
    re.compile(
        r"(?i)\b(authorization|api[_-]?key|apikey|password|passwd|secret|token)"
        r"(\"?\s*[:=]\s*\"?)([^\s\",}]+)"
    ),
)
_MIN_SECRET = 4  # shorter values are too common to scrub from text


class Redactor:
    """Scrubs secrets from JSON-like data; remembers secret values it has seen."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def __call__(self, data: Any) -> Any:
        self._collect(data)
        return self._scrub(data)

    def text(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        text = _SECRET_TEXT[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _SECRET_TEXT[1].sub(REDACTED, text)
        return _SECRET_TEXT[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)

    def _collect(self, data: Any) -> None:
        if isinstance(data, Mapping):
            for key, value in data.items():
                if _is_secret_key(key) and isinstance(value, (str, int)):
                    secret = str(value)
                    if len(secret) >= _MIN_SECRET:
                        self.values.add(secret)
                self._collect(value)
        elif isinstance(data, list):
            for item in data:
                self._collect(item)
        elif isinstance(data, str) and data.lstrip().startswith("{"):
            # arguments kept as raw JSON text still name their keys
            with contextlib.suppress(json.JSONDecodeError):
                self._collect(json.loads(data))

    def _scrub(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {
                key: REDACTED
                if _is_secret_key(key) and not isinstance(value, (Mapping, list))
                else self._scrub(value)
                for key, value in data.items()
            }
        if isinstance(data, list):
            return [self._scrub(item) for item in data]
        if isinstance(data, str):
            return self.text(data)
        return data


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


class TraceWriter:
    """Appends redacted JSON records to ``path``, one per line, flushed as written."""

    def __init__(self, path: str | os.PathLike[str], run_id: str):
        self.path = Path(path)
        self.run_id = run_id
        self.redact = Redactor()
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        record = {"run": self.run_id, "event": event, **to_jsonable_python(fields)}
        line = json.dumps(self.redact(record), ensure_ascii=False)
        # backslashreplace: a lone surrogate in a task or an argument is written as its
        # JSON escape rather than failing the run
        with self._lock, self.path.open("a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(line + "\n")
