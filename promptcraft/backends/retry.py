"""When to retry a failed HTTP call to a model server, and how long to wait first.

The policy is openai-python's, so promptcraft behaves like the official client against the
same server:

- retried: HTTP 408 (timeout), 409 (conflict), 429 (rate limit), every 5xx, and errors of
  the connection itself (refused, reset, dropped, timed out);
- a server's ``x-should-retry: true|false`` header overrides the status;
- the wait is the server's ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)
  when that is more than 0 and at most 60 seconds; otherwise exponential backoff from 0.5 s,
  doubling per retry up to 8 s, times a jitter between 0.75 and 1 so that clients which
  failed together do not retry together.

The policy is pure (no I/O, no sleeping): the sync and async clients share it.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RetryPolicy", "retry_after_seconds"]


class RetryPolicy(BaseModel):
    """How often to retry, and the backoff between tries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_retries: int = Field(default=2, ge=0, description="Retries after the first try.")
    initial_delay: float = Field(default=0.5, ge=0.0, description="The first backoff, seconds.")
    max_delay: float = Field(default=8.0, ge=0.0, description="The longest backoff, seconds.")
    max_retry_after: float = Field(
        default=60.0, ge=0.0, description="A server's retry-after above this is ignored."
    )

    def should_retry_status(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether an error answer is worth another try (retries left aside)."""
        verdict = headers.get("x-should-retry", "").strip().lower()
        if verdict in ("true", "false"):
            return verdict == "true"
        return status in (408, 409, 429) or status >= 500

    def delay(self, retries_done: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``retries_done + 1``."""
        asked = retry_after_seconds(headers or {})
        if asked is not None and 0 < asked <= self.max_retry_after:
            return asked
        backoff = min(self.initial_delay * 2.0 ** min(retries_done, 60), self.max_delay)
        return backoff * (1.0 - 0.25 * random.random())


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a server asked for: ``retry-after-ms`` (milliseconds), else ``retry-after``
    as seconds or as an HTTP date. None when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - (time.time() if now is None else now)
