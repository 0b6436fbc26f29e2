"""``Agent.stream``'s iterator: an async run driven from synchronous code, one event a time.

The run's async generator runs on an event loop in a thread of its own, so the iterator
works inside a running event loop too (a notebook). It never runs ahead of its consumer:
each event is computed when ``next()`` asks for it, so a consumer that stops asking stops
the run there, and no model call or tool call happens after it. ``close()`` (or dropping
the iterator) ends the run.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncGenerator, Iterator
from typing import Generic, TypeVar

from ..backends.concurrency import BackgroundIterator

__all__ = ["SyncEvents"]

T = TypeVar("T")


class SyncEvents(Iterator[T], Generic[T]):
    """Iterates ``events`` (an async generator not started yet) in lock step."""

    def __init__(self, events: AsyncGenerator[T, None], *, name: str):
        self._demand = threading.Semaphore(0)
        # the producer gets the semaphore, not self: dropping the iterator must run __del__
        produce = functools.partial(_drive, events, self._demand)
        self._events: BackgroundIterator[T] = BackgroundIterator(produce, name=name)

    def __iter__(self) -> SyncEvents[T]:
        return self

    def __next__(self) -> T:
        self._demand.release()
        return next(self._events)

    def close(self, *, wait: bool = False) -> None:
        """End the run after the event being computed, if any; with ``wait``, return only
        once its thread has ended (its event loop and executor shut down)."""
        self._events.close()
        self._demand.release()  # wakes the producer, which sees it was cancelled
        if wait:
            self._events.join()

    def __del__(self) -> None:
        self.close()


def _drive(
    events: AsyncGenerator[T, None], demand: threading.Semaphore, cancelled: threading.Event
) -> Iterator[T]:
    loop = asyncio.new_event_loop()
    try:
        while True:
            demand.acquire()
            if cancelled.is_set():
                return
            try:
                yield loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(events.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
