"""Server-sent events, as OpenAI streams them: ``data: {json}\\n\\n`` per event, then
``data: [DONE]\\n\\n``.

:class:`EventStreamResponse` watches the connection while it sends: when the client goes
away, the event source is cancelled at once (not at its next event), so its ``finally``
stops the generation behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from pydantic import BaseModel
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = ["DONE", "EventStreamResponse", "encode_event", "wait_for_disconnect"]

DONE = b"data: [DONE]\n\n"


def encode_event(event: BaseModel) -> bytes:
    return b"data: " + event.model_dump_json().encode() + b"\n\n"


async def wait_for_disconnect(receive: Receive) -> None:
    """Return when the client has gone away. Call only after the request body was read."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class EventStreamResponse(StreamingResponse):
    """Sends ``events`` (each already encoded) as a ``text/event-stream``."""

    def __init__(self, events: AsyncIterator[bytes], *, on_close: Callable[[], None]):
        super().__init__(
            events,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            media_type="text/event-stream",
        )
        self.events = events
        # Called however the response ends, even if ``events`` never started (a client that
        # left before the first event): the generation behind it must stop all the same.
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        sender = asyncio.ensure_future(self._send_all(send))
        watcher = asyncio.ensure_future(wait_for_disconnect(receive))
        try:
            await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.on_close()
            for task in (sender, watcher):
                task.cancel()
            for task in (sender, watcher):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _send_all(self, send: Send) -> None:
        try:
            async for data in self.events:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away mid-send (ASGI 2.4 servers raise this)
            pass
        finally:
            aclose = getattr(self.events, "aclose", None)
            if aclose is not None:
                await aclose()
