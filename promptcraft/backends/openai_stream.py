"""Assemble an OpenAI-style stream (server-sent events) into promptcraft :class:`Chunk`\\ s.

:class:`StreamAssembler` is sans-I/O: the sync and async streams feed it the same events.
It copes with what servers actually send:

- text, reasoning and log-probability deltas become chunks as they arrive;
- ``finish_reason`` may come with the last text or on a chunk of its own with an empty
  delta, and usage (``stream_options.include_usage``) on a later chunk with no choices: the
  final chunk is built only when the stream ends, from all of them;
- tool calls arrive in pieces: the first delta of a call has its ``index``, ``id`` and
  name, later ones add fragments of the JSON arguments; they are joined by index and come
  whole on the final chunk;
- an ``{"error": ...}`` event under HTTP 200 (the server failed after it began answering)
  raises the typed error;
- a body that ends with neither ``[DONE]`` nor a finish reason was cut off: that raises
  :class:`~promptcraft.errors.BackendUnavailableError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import BackendError, BackendUnavailableError
from ..types import Chunk, ToolCall, Usage
from .http_errors import error_for_event
from .openai_wire import Endpoint, arguments_text, finish_reason_of, logprobs_of, usage_of
from .sse import ServerSentEvent

__all__ = ["StreamAssembler"]


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamAssembler:
    """Feed it events with :meth:`feed`; take the final chunk from :meth:`finish`."""

    def __init__(self, endpoint: Endpoint, *, url: str, secret: str | None = None):
        self.endpoint = endpoint
        self.url = url
        self._secret = secret
        self.done = False  # "[DONE]" arrived
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._calls: dict[int, _PartialCall] = {}

    def feed(self, event: ServerSentEvent) -> list[Chunk]:
        """The chunks one event carries (often one, none for bookkeeping events)."""
        if event.data.strip() == "[DONE]":
            self.done = True
            return []
        try:
            payload = json.loads(event.data)
        except ValueError:
            raise BackendError(
                f"the server at {self.url} streamed an event that is not JSON: {event.data[:200]!r}"
            ) from None
        if not isinstance(payload, Mapping):
            raise BackendError(f"the server at {self.url} streamed {event.data[:200]!r}")
        if event.event == "error" or ("error" in payload and not payload.get("choices")):
            raise error_for_event(payload, url=self.url, secret=self._secret)
        if payload.get("usage"):
            self._usage = usage_of(payload["usage"])
        chunks = []
        for choice in payload.get("choices") or ():
            if choice.get("index", 0) == 0:  # promptcraft asks for one choice (n=1)
                chunk = self._take(choice)
                if chunk is not None:
                    chunks.append(chunk)
        return chunks

    def finish(self) -> Chunk:
        """The last chunk: finish reason, usage and the whole tool calls."""
        if not self.done and self._finish_reason is None:
            raise BackendUnavailableError(
                f"the stream from {self.url} ended before the completion finished: the "
                "connection closed early (the request was not repeated, since output had "
                "already arrived)"
            )
        calls = [
            ToolCall(id=c.id or f"call_{index}", name=c.name, arguments="".join(c.arguments))
            for index, c in sorted(self._calls.items())
        ]
        return Chunk(
            finish_reason=finish_reason_of(self._finish_reason, bool(calls)),
            usage=self._usage or usage_of(None),
            tool_calls=calls or None,
        )

    def _take(self, choice: Mapping[str, Any]) -> Chunk | None:
        if self.endpoint == "chat":
            delta = choice.get("delta") or {}
            text = delta.get("content") or ""
            reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
            for position, call in enumerate(delta.get("tool_calls") or ()):
                self._add_call_delta(call, position)
        else:
            text, reasoning = choice.get("text") or "", ""
        if choice.get("finish_reason") is not None:
            self._finish_reason = choice["finish_reason"]
        logprobs = logprobs_of(choice.get("logprobs"), self.endpoint) or None
        if not (text or reasoning or logprobs):
            return None
        return Chunk(text=text, reasoning=reasoning, logprobs=logprobs)

    def _add_call_delta(self, delta: Mapping[str, Any], position: int) -> None:
        index = delta.get("index", position)
        call = self._calls.setdefault(index, _PartialCall())
        function = delta.get("function") or {}
        # The id and name come whole on a call's first delta; later deltas repeat them or not.
        call.id = call.id or delta.get("id") or ""
        call.name = call.name or function.get("name") or ""
        piece = function.get("arguments")
        if piece is not None:
            call.arguments.append(arguments_text(piece))
