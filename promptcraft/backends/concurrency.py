"""Run blocking iterators off the caller's thread.

- :class:`BackgroundIterator` runs a producer in a thread of its own and hands its items over
  through a queue. The producer never waits for the consumer, so a consumer that pauses
  between items (and even calls the same backend meanwhile) cannot deadlock it.
- :func:`iterate_in_thread` lets a coroutine consume a blocking iterator without blocking the
  event loop.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["BackgroundIterator", "iterate_in_thread"]

T = TypeVar("T")

_ITEM, _END, _ERROR = 0, 1, 2
_DONE = object()


class BackgroundIterator(Generic[T]):
    """Iterates ``produce(cancelled)`` in a daemon thread, started by the first ``next()``.

    The producer should stop soon after ``cancelled`` is set: :meth:`close` (or dropping the
    iterator) sets it. An exception in the producer is raised by the consumer's ``next()``.
    """

    def __init__(self, produce: Callable[[threading.Event], Iterator[T]], *, name: str):
        self._produce = produce
        self._name = name
        self._queue: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._cancelled = threading.Event()
        self._started = False
        self._finished = False
        self._thread: threading.Thread | None = None

    def __iter__(self) -> BackgroundIterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        if not self._started:
            self._started = True
            # The thread gets the queue and the event, not self: dropping the iterator
            # must be able to run __del__ and cancel the producer.
            self._thread = threading.Thread(
                target=_pump,
                args=(self._produce, self._queue, self._cancelled),
                name=self._name,
                daemon=True,
            )
            self._thread.start()
        kind, value = self._queue.get()
        if kind == _ITEM:
            return value
        self._finished = True
        if kind == _ERROR:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop the producer after its current item; later ``next()`` calls end the iteration.
        Thread-safe: another thread may be waiting in ``next()`` meanwhile."""
        self._cancelled.set()
        self._finished = True

    def join(self) -> None:
        """Wait until the producer's thread has ended (call :meth:`close` first). A program
        about to exit must: a daemon thread still inside torch when the interpreter ends
        aborts the process."""
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def __del__(self) -> None:
        self._cancelled.set()


def _pump(
    produce: Callable[[threading.Event], Iterator[Any]],
    out: queue.SimpleQueue[tuple[int, Any]],
    cancelled: threading.Event,
) -> None:
    try:
        items = produce(cancelled)
        try:
            for item in items:
                out.put((_ITEM, item))
                if cancelled.is_set():
                    break
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
    except BaseException as exc:  # handed to the consumer, who decides what it means
        out.put((_ERROR, exc))
    else:
        out.put((_END, None))


async def iterate_in_thread(make: Callable[[], Iterator[T]]) -> AsyncGenerator[T, None]:
    """Consume the iterator ``make()`` returns, calling ``make`` and every ``next()`` in one
    worker thread, so the event loop keeps running while each item is computed.

    One dedicated thread (not the shared pool) keeps the calls in order: when the consumer
    stops early, the iterator is closed after any ``next()`` still running, never during it.
    """
    loop = asyncio.get_running_loop()
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promptcraft-astream")
    iterator: Iterator[T] | None = None
    try:
        iterator = await loop.run_in_executor(worker, make)
        while True:
            item = await loop.run_in_executor(worker, next, iterator, _DONE)
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        if isinstance(iterator, BackgroundIterator):
            iterator.close()  # thread-safe: the producer stops now, even while a next() waits
        else:
            close = getattr(iterator, "close", None)
            if close is not None:
                worker.submit(close)
        worker.shutdown(wait=False)
