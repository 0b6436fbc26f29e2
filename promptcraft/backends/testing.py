"""Backends for testing apps without a model: answers come from a script or a function.

::

    from promptcraft.backends.testing import ScriptedBackend, tool_call

    backend = ScriptedBackend(
        [tool_call("calculator", expression="6*7"), "The answer is 42."],
        native_tool_calls=True,
    )
    result = pc.Agent(backend, tools=[pc.calculator]).run("What is 6 times 7?")
    assert result.output == "The answer is 42."
    assert backend.requests[1].messages[-1].content == "42"

A reply is text (a ``str``, cut at the request's stop strings like a real model's output),
one or more :class:`~.types.ToolCall` (native tool calls: needs ``native_tool_calls=True``),
or a whole :class:`~.types.Completion`. :class:`FunctionBackend` computes each reply from
the :class:`~.types.Request`, so a test can answer what it was asked; both record every
request in ``requests``. Usage counts whitespace-separated words, so it is deterministic.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..errors import BackendError
from ..types import Capabilities, Chunk, Completion, Request, ToolCall, Usage
from .base import Backend

__all__ = ["FunctionBackend", "Reply", "ScriptedBackend", "tool_call"]

Reply = str | ToolCall | Sequence[ToolCall] | Completion

_ids = itertools.count(1)


def tool_call(name: str, arguments: dict[str, Any] | str | None = None, **kwargs: Any) -> ToolCall:
    """A native tool call, with a fresh id: ``tool_call("add", a=1, b=2)`` or
    ``tool_call("add", '{"a": 1')`` (arguments as raw, possibly malformed, JSON text)."""
    text = arguments if isinstance(arguments, str) else json.dumps({**(arguments or {}), **kwargs})
    return ToolCall(id=f"call_{next(_ids)}", name=name, arguments=text)


class FunctionBackend(Backend):
    """Answers each request with ``function(request)``: a :data:`Reply`."""

    def __init__(
        self,
        function: Callable[[Request], Reply],
        *,
        native_tool_calls: bool = False,
        model: str = "function",
    ):
        self.function = function
        self.model = model
        self.capabilities = Capabilities(
            completion=True, chat=True, streaming=True, native_tool_calls=native_tool_calls
        )
        #: Every request received, in order.
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def _complete(self, request: Request) -> Completion:
        with self._lock:
            self.requests.append(request)
            reply = self.function(request)
        return self._completion(reply, request)

    def _stream(self, request: Request) -> Iterator[Chunk]:
        completion = self._complete(request)
        # a few pieces, so stream consumers see more than one chunk
        words = completion.text.split(" ")
        pieces = [w + " " for w in words[:-1]] + [words[-1]]
        for piece in pieces:
            if piece:
                yield Chunk(text=piece)
        yield Chunk(
            finish_reason=completion.finish_reason,
            usage=completion.usage,
            tool_calls=completion.tool_calls,
        )

    def _completion(self, reply: Reply, request: Request) -> Completion:
        if isinstance(reply, Completion):
            return reply
        prompt_tokens = _words(request)
        if isinstance(reply, str):
            text = _cut_at_stop(reply, request.params.stop)
            return Completion(
                text=text,
                finish_reason="stop",
                usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=len(text.split())),
                model=self.model,
            )
        calls = [reply] if isinstance(reply, ToolCall) else list(reply)
        if not all(isinstance(c, ToolCall) for c in calls):
            raise TypeError(f"a scripted reply is a str, ToolCall(s) or Completion, not {reply!r}")
        if not self.capabilities.native_tool_calls:
            raise BackendError(
                f"{type(self).__name__} was scripted to return tool calls but has "
                "native_tool_calls=False; pass native_tool_calls=True"
            )
        if request.messages is None:
            raise BackendError("native tool calls answer chat requests, not text prompts")
        words = sum(len(c.arguments.split()) + 1 for c in calls)
        return Completion(
            text="",
            finish_reason="tool_calls",
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=words),
            model=self.model,
            tool_calls=calls,
        )


class ScriptedBackend(FunctionBackend):
    """Gives ``replies`` in order, one per request; one request too many raises
    :class:`~promptcraft.errors.BackendError`."""

    def __init__(
        self, replies: Iterable[Reply], *, native_tool_calls: bool = False, model: str = "scripted"
    ):
        self.replies = list(replies)
        script = iter(self.replies)

        def next_reply(request: Request) -> Reply:
            try:
                return next(script)
            except StopIteration:
                raise BackendError(
                    f"ScriptedBackend ran out of replies: request {len(self.requests)} came "
                    f"after the {len(self.replies)} scripted"
                ) from None

        super().__init__(next_reply, native_tool_calls=native_tool_calls, model=model)

    @property
    def remaining(self) -> int:
        """Replies not given yet."""
        return len(self.replies) - len(self.requests)


def _words(request: Request) -> int:
    if request.prompt is not None:
        return len(request.prompt.split())
    assert request.messages is not None
    return sum(len(m.content.split()) for m in request.messages)


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cuts = [text.index(s) for s in stop if s in text]
    return text[: min(cuts)] if cuts else text
