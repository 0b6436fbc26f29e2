"""Admission and ordering of generations: who runs, who waits, who is turned away.

The model generates one request at a time. :class:`Scheduler` admits up to
``max_concurrency`` requests at once (one generating, the rest waiting in arrival order);
the next one is refused with :class:`ServerBusyError` (HTTP 429). One engine thread takes
the waiting requests in order and streams each one's chunks to its :class:`Job`, which the
request's coroutine reads without blocking the event loop.

Why one at a time: a request then gets exactly what it would get alone (greedy outputs are
bit-identical), and the model's prefix cache serves consecutive requests that share
instructions. Batching several requests per forward pass would raise throughput, but needs a
per-row streaming API from the decoder, whose batched results also equal single runs only
up to float rounding.

The engine hands chunks over as fast as the model makes them, so a slow reader never holds
the model; a job cancelled by its client (a disconnect) stops after the current token.

Opening a request's stream does work before any token: the local backend encodes the prompt
and compiles a ``response_format`` into an automaton, which can take seconds. That runs on a
preparing thread (one, so requests keep their arrival order), never on the event loop,
which must stay free to answer the other clients meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel

from ..backends.base import Backend
from ..backends.types import Chunk, Completion, Request
from ..errors import ContextLengthError, InvalidRequestError

__all__ = ["Job", "Scheduler", "SchedulerStats", "ServerBusyError"]

log = logging.getLogger("promptcraft.server")

_END = object()


class ServerBusyError(Exception):
    """``max_concurrency`` requests are in flight already; retry later."""


class SchedulerStats(BaseModel):
    """Counters since the server started (``GET /metrics``)."""

    max_concurrency: int
    in_flight: int  # admitted and not yet answered (running, waiting, or being sent)
    waiting: int  # admitted, not started
    running: int
    admitted: int
    rejected: int  # refused with 429
    completed: int
    cancelled: int  # stopped early because the client went away
    failed: int
    prompt_tokens: int
    cached_prompt_tokens: int
    completion_tokens: int  # of completed requests
    cancelled_chunks: int  # chunks generated for cancelled requests before they stopped


class Job:
    """One admitted request: its chunks as the engine produces them.

    Read it with ``async for chunk in job`` (or :meth:`completion`); an error of the backend
    is raised there. Call :meth:`close` when done with it, however the request ended: that
    stops a generation still running and frees the admission slot.
    """

    def __init__(
        self, id: int, request: Request, stream: Iterator[Chunk], release: Callable[[], None]
    ):
        self.id = id
        self.request = request
        self.source = stream  # the backend's chunks, read by the engine thread
        self._release = release
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[Any] = asyncio.Queue()
        self._cancelled = threading.Event()
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        while True:
            item = await self._items.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def completion(self, model: str) -> Completion:
        """Wait for the whole generation."""
        return Completion.from_chunks([chunk async for chunk in self], model=model)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def close(self) -> None:
        """Stop the generation if it still runs, and free the admission slot. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._cancelled.set()
        self._release()

    # --- engine side ---------------------------------------------------------------------------

    def deliver(self, item: Any) -> None:
        """Hand a chunk, an error or the end over to the reader (from the engine thread)."""
        try:
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)
        except RuntimeError:  # the event loop is gone: the server is shutting down
            self._cancelled.set()


class Scheduler:
    """Runs a backend's generations one at a time, in arrival order, for many clients."""

    def __init__(self, backend: Backend, *, max_concurrency: int = 64):
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        self.backend = backend
        self.max_concurrency = max_concurrency
        self._ids = itertools.count(1)
        self._pending: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            (name for name in SchedulerStats.model_fields if name != "max_concurrency"), 0
        )
        self._engine: threading.Thread | None = None
        self._preparer = ThreadPoolExecutor(1, thread_name_prefix="promptcraft-serve-prepare")

    async def submit(self, request: Request) -> Job:
        """Admit a request, or raise :class:`ServerBusyError`. A request the backend refuses
        (its prompt does not fit the context, say) raises the backend's error here, before
        it takes a place in line."""
        with self._lock:
            if self._counts["in_flight"] >= self.max_concurrency:
                self._counts["rejected"] += 1
                raise ServerBusyError(
                    f"{self.max_concurrency} requests are in flight already (the server's "
                    "--max-concurrency); retry later"
                )
            self._counts["in_flight"] += 1
        loop = asyncio.get_running_loop()
        try:
            stream = await loop.run_in_executor(self._preparer, self._open, request)
        except BaseException:
            self._release()
            raise
        job = Job(next(self._ids), request, stream, self._release)
        with self._lock:
            self._counts["admitted"] += 1
            self._counts["waiting"] += 1
        self._ensure_engine()
        self._pending.put(job)
        return job

    def _open(self, request: Request) -> Iterator[Chunk]:
        # The local backend encodes the prompt here and generates only when iterated.
        source = request.prompt if request.prompt is not None else list(request.messages or ())
        # response_format rides on the request, beside the sampling params
        options = {"response_format": request.response_format} if request.response_format else {}
        return self.backend.stream(source, request.params, **options)

    def stats(self) -> SchedulerStats:
        with self._lock:
            return SchedulerStats(max_concurrency=self.max_concurrency, **self._counts)

    def close(self) -> None:
        """Stop the engine thread after the current generation."""
        self._preparer.shutdown(wait=False, cancel_futures=True)
        if self._engine is not None:
            self._pending.put(None)
            self._engine = None

    # --- internals -----------------------------------------------------------------------------

    def _release(self) -> None:
        with self._lock:
            self._counts["in_flight"] -= 1

    def _ensure_engine(self) -> None:
        if self._engine is None:
            self._engine = threading.Thread(
                target=self._run, name="promptcraft-serve-engine", daemon=True
            )
            self._engine.start()

    def _run(self) -> None:
        while (job := self._pending.get()) is not None:
            self._count(waiting=-1, running=+1)
            try:
                self._generate(job)
            finally:
                self._count(running=-1)

    def _generate(self, job: Job) -> None:
        chunks = 0
        usage = None
        stream = job.source
        try:
            try:
                if not job.cancelled:
                    for chunk in stream:
                        job.deliver(chunk)
                        chunks += 1
                        usage = chunk.usage or usage
                        if job.cancelled:
                            break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # the local backend's stream stops after its current token
        except Exception as exc:
            if isinstance(exc, (InvalidRequestError, ContextLengthError)):  # the client's doing
                log.info("request %d refused by the backend: %s", job.id, exc)
            else:
                log.exception("request %d failed", job.id)
            job.deliver(exc)
            self._count(failed=1)
            return
        if job.cancelled:
            log.info("request %d cancelled by its client after %d chunks", job.id, chunks)
            self._count(cancelled=1, cancelled_chunks=chunks)
            return
        job.deliver(_END)
        self._count(completed=1)
        if usage is not None:
            self._count(
                prompt_tokens=usage.prompt_tokens,
                cached_prompt_tokens=usage.cached_prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for key, delta in deltas.items():
                self._counts[key] += delta
