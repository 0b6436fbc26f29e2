"""A fault-injecting OpenAI-compatible server for the OpenAI backend's tests.

A real HTTP server (starlette under uvicorn, on a free loopback port, in a background
thread) that answers each request with the next reply the test scripted: any status,
headers and JSON body, a stream of server-sent events, or a connection that breaks part way.
It records every request it receives, so tests can check what the client sent and how often.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


class ConnectionBroken(Exception):
    """Raised inside the app to make uvicorn drop the connection mid-answer."""


@dataclass
class Reply:
    """One scripted answer.

    - ``body``: a JSON body (any status);
    - ``events``: a stream: each dict is sent as ``data: <json>``, each str as ``data: <str>``
      (so ``"[DONE]"`` ends the stream), each tuple ``(name, payload)`` as a named event;
    - ``raw_events``: a stream given verbatim (for odd framings);
    - ``break_after``: for a stream, break the connection after that many events; for a
      body, break it after sending part of the body;
    - ``delay``: seconds to wait before answering (a server too slow for the timeout).
    """

    status: int = 200
    body: Any = None
    events: list[Any] | None = None
    raw_events: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    break_after: int | None = None
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


class ScriptedServer:
    """The server's state: the replies still to give and the requests received."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.url = ""  # the API root, http://127.0.0.1:PORT/v1
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])

    def script(self, *replies: Reply) -> None:
        """Forget earlier replies and requests; answer the next requests with ``replies``."""
        self.replies = deque(replies)
        self.received = []

    async def _answer(self, request: Request) -> Response:
        raw = await request.body()
        self.received.append(
            Received(
                method=request.method,
                path=request.url.path,
                headers=dict(request.headers),
                json=json.loads(raw) if raw else None,
            )
        )
        if not self.replies:
            return Response(
                json.dumps({"error": {"message": "the test scripted no more replies"}}),
                status_code=500,
                media_type="application/json",
            )
        reply = self.replies.popleft()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.events is not None or reply.raw_events is not None:
            return StreamingResponse(
                _stream(reply),
                status_code=reply.status,
                headers=reply.headers,
                media_type="text/event-stream",
            )
        content = json.dumps(reply.body).encode()
        if reply.break_after is not None:
            headers = {**reply.headers, "content-length": str(len(content))}
            return StreamingResponse(_partial(content), status_code=reply.status, headers=headers)
        return Response(
            content, status_code=reply.status, headers=reply.headers, media_type="application/json"
        )


async def _stream(reply: Reply) -> AsyncIterator[bytes]:
    if reply.raw_events is not None:
        yield reply.raw_events.encode()
        return
    assert reply.events is not None
    for i, event in enumerate(reply.events):
        if reply.break_after is not None and i == reply.break_after:
            raise ConnectionBroken("scripted break")
        if isinstance(event, tuple):
            name, payload = event
            yield f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()
        elif isinstance(event, str):
            yield f"data: {event}\n\n".encode()
        else:
            yield f"data: {json.dumps(event)}\n\n".encode()
    if reply.break_after is not None:
        raise ConnectionBroken("scripted break")


async def _partial(content: bytes) -> AsyncIterator[bytes]:
    yield content[: len(content) // 2]
    raise ConnectionBroken("scripted break")


@contextmanager
def running(server: ScriptedServer) -> Iterator[ScriptedServer]:
    """Serve ``server`` on a free loopback port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.app, log_level="critical", access_log=False, lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the scripted server did not start")
        time.sleep(0.01)
    server.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield server
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


# --- payload builders ---------------------------------------------------------------------


def chat_answer(
    text: str = "Hello!",
    *,
    finish_reason: str = "stop",
    usage: tuple[int, int] = (5, 2),
    **message: Any,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, **message},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]},
    }


def text_answer(text: str = " world", *, finish_reason: str = "length") -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "model": "scripted",
        "choices": [{"index": 0, "text": text, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
    }


def chat_delta(finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def usage_event(prompt: int = 5, completion: int = 2) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "scripted",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }
