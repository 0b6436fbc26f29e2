"""Server-sent events: the ``text/event-stream`` format that OpenAI-compatible servers stream
completions in.

:class:`SSEDecoder` is sans-I/O: it takes the lines of the body one at a time (httpx's
``iter_lines`` and ``aiter_lines`` have already split them) and returns each event as its
blank line completes it, so the sync and async streams share one parser. It follows the
WHATWG rules that matter here: ``data`` lines accumulate (joined by newlines), ``event``
names the event, lines starting with ``:`` are comments (keep-alives), and one space after
the colon is dropped.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(BaseModel):
    """One event: its ``data`` (lines joined by ``\\n``) and its ``event`` name, if any."""

    model_config = ConfigDict(frozen=True)

    data: str
    event: str | None = None


class SSEDecoder:
    """Feed lines, get events."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        """Take one line (without its line ending); return the event a blank line ends."""
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        # "id" and "retry" steer browser reconnection, which a completion stream never does.
        return None

    def flush(self) -> ServerSentEvent | None:
        """The event left when the body ended without its final blank line (some servers
        do that), or None."""
        return self._dispatch()

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None  # an event with no data is not dispatched
            return None
        event = ServerSentEvent(data="\n".join(self._data), event=self._event)
        self._data, self._event = [], None
        return event
