"""An on-disk cache of completions, so re-running an evaluation costs nothing and an
interrupted one resumes where it stopped.

A completion is stored under the SHA-256 of (backend identity, rendered prompt, every
generation parameter, and the template's ``output:`` when it declares one: the stored text
is then the parsed answer ``template.run()`` returns). The backend identity names the model
precisely: for a local model it includes a fingerprint of its weights, so a retrained
checkpoint with the same name does not reuse old answers (an adapter's prefix counts as
weights). Each completion is committed as soon as it is generated. Failed generations are
not stored, so a re-run tries them again.

Several runs may share one cache file at once (SQLite's write-ahead log; each waits for the
others' short writes). A file that is not a cache (corrupt, or another program's database)
is refused with an :class:`~promptcraft.errors.EvaluationError` naming it, and never written
to; a record this version cannot read is a miss, generated again and replaced. If the cache
cannot be read or written mid-run (a full disk), the run goes on with a warning, uncached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import EvaluationError
from ..types import Usage

__all__ = ["CachedCompletion", "ResponseCache", "request_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    record TEXT NOT NULL,
    created REAL NOT NULL DEFAULT (julianday('now'))
)
"""
_COLUMNS = {"key", "backend", "record"}
# PRAGMA user_version of the file; 0 in caches written before it was set (the same layout).
_VERSION = 1
_BUSY_SECONDS = 60.0  # how long a write waits for another run writing the same file


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
        self._lock = threading.Lock()
        self._warned = False
        if self.path != ":memory:":
            if Path(self.path).is_dir():
                raise self._error("is a folder; give a file, such as eval.sqlite")
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise self._error(f"cannot create its folder: {exc.strerror or exc}") from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=_BUSY_SECONDS)
        except sqlite3.Error as exc:
            raise self._error(f"cannot open it: {exc}") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._error(
                f"cannot be used as a cache ({exc}): if it is corrupt or not a cache, delete "
                "it, or give another cache file"
            ) from None
        except EvaluationError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        """Check the file is a cache of ours (or new), then create the table."""
        tables = {
            row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if tables and "completions" not in tables:
            raise self._error(
                f"is a SQLite database of something else (tables: {', '.join(sorted(tables))}), "
                "not a response cache; give another file for the cache"
            )
        if "completions" in tables:
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(completions)")}
            if version > _VERSION or not columns >= _COLUMNS:
                raise self._error(
                    f"is a response cache of another promptcraft version (format {version}, "
                    f"this one writes {_VERSION}); delete it, or give another cache file"
                )
        # WAL: a reader (a report from another process) does not block the writing run.
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        if version != _VERSION:
            self._db.execute(f"PRAGMA user_version = {_VERSION}")
        self._db.commit()

    def _error(self, problem: str) -> EvaluationError:
        return EvaluationError(f"response cache {self.path} {problem}")

    def get(self, key: str) -> CachedCompletion | None:
        """The completion stored under ``key``; None when there is none, or when its record
        cannot be read (written by another version): it is generated again. A file that
        cannot be read at all warns once, as :meth:`put` does."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT record FROM completions WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.Error as exc:
                self._failed("read", exc)
                return None
        if row is None:
            return None
        try:
            return CachedCompletion.model_validate_json(row[0])
        except ValidationError:
            return None

    def put(self, key: str, backend: str, completion: CachedCompletion) -> None:
        """Store ``completion`` under ``key`` at once. A write that fails (a full disk, a file
        locked too long) warns once and the run goes on without caching: losing the cache
        must not lose the run."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO completions (key, backend, record) VALUES (?, ?, ?)",
                    (key, backend, completion.model_dump_json()),
                )
                self._db.commit()
            except sqlite3.Error as exc:
                self._failed("store", exc)

    def _failed(self, doing: str, exc: sqlite3.Error) -> None:
        """Warn, once per cache, that it cannot be used; the run goes on without it."""
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"response cache {self.path}: cannot {doing} completions ({exc}); the run "
                "goes on, generating what the cache cannot give and not caching it",
                RuntimeWarning,
                stacklevel=3,
            )

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


def request_key(
    backend: str,
    prompt: str | list[dict[str, Any]],
    params: dict[str, Any],
    output: dict[str, Any] | None = None,
) -> str:
    """The cache key of one request: backend identity, prompt (text or messages), the
    complete generation parameters and, for a template that declares one, its ``output:``
    (constrained, ranked and parsed answers differ from free text: they are never mixed)."""
    request: dict[str, Any] = {"backend": backend, "prompt": prompt, "params": params}
    if output is not None:  # absent for free text, so keys written before stay valid
        request["output"] = output
    payload = json.dumps(
        request,
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
