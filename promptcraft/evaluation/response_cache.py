"""An on-disk cache of completions, so re-running an evaluation costs nothing and an
interrupted one resumes where it stopped.

A completion is stored under the SHA-256 of (backend identity, rendered prompt, every
generation parameter). The backend identity names the model precisely: for a local model it
includes a fingerprint of its weights, so a retrained checkpoint with the same name does not
reuse old answers. Each completion is committed as soon as it is generated. Failed
generations are not stored, so a re-run tries them again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..generation_types import Usage

__all__ = ["CachedCompletion", "ResponseCache", "backend_identity", "request_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    record TEXT NOT NULL,
    created REAL NOT NULL DEFAULT (julianday('now'))
)
"""


class CachedCompletion(BaseModel):
    """What the cache keeps of a completion: its text, why it ended, its token usage and the
    seconds it took to generate (its share of a batch, when batched)."""

    model_config = ConfigDict(frozen=True)

    text: str
    finish_reason: str
    usage: Usage
    seconds: float


class ResponseCache:
    """A SQLite file of completions keyed by :func:`request_key`. Safe to share between
    threads (one connection, one lock); ``path=":memory:"`` keeps it in memory."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        # WAL: a reader (a report from another process) does not block the writing run.
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, key: str) -> CachedCompletion | None:
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM completions WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else CachedCompletion.model_validate_json(row[0])

    def put(self, key: str, backend: str, completion: CachedCompletion) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO completions (key, backend, record) VALUES (?, ?, ?)",
                (key, backend, completion.model_dump_json()),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def request_key(backend: str, prompt: str | list[dict[str, Any]], params: dict[str, Any]) -> str:
    """The cache key of one request: backend identity, prompt (text or messages) and the
    complete generation parameters."""
    payload = json.dumps(
        {"backend": backend, "prompt": prompt, "params": params},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def backend_identity(backend: Any) -> str:
    """A string that changes whenever the backend would answer differently: the class, the
    model name, the server URL, and for a local decoder a fingerprint of its weights and
    context. A backend may define ``cache_identity`` (a string) to choose its own."""
    own = getattr(backend, "cache_identity", None)
    if isinstance(own, str):
        return own
    parts = [type(backend).__qualname__, str(getattr(backend, "model", ""))]
    base_url = getattr(backend, "base_url", None)
    if base_url:
        parts.append(str(base_url))
    decoder = getattr(backend, "decoder", None)
    if decoder is not None and hasattr(decoder, "state_dict"):
        parts.append(_weights_fingerprint(decoder))
        parts.append(f"context={getattr(backend, 'max_context', '')}")
        parts.append(f"truncate={getattr(backend, 'truncate', '')}")
    return "|".join(parts)


def _weights_fingerprint(decoder: Any) -> str:
    """A digest of every tensor's name, shape and first values: cheap even for large models,
    and different after any training step (every weight moves)."""
    digest = hashlib.sha256()
    for name, tensor in decoder.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        sample = tensor.detach().reshape(-1)[:64].float().tolist()
        digest.update(json.dumps(sample).encode())
    return digest.hexdigest()[:16]
