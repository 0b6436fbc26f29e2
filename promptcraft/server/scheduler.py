"""Admission and running of generations: who runs, who waits, who is turned away.

A local backend runs requests on its batch engine (continuous batching, see
:mod:`promptcraft.nn.continuous_batching`): up to ``max_batch`` generate together, sharing
every decoding step, and a request joins the batch between two steps and leaves it the moment
it ends. Each gets exactly the tokens it would get alone. Up to ``max_queue`` more wait for
a row, in arrival order; beyond that a request is refused with :class:`ServerBusyError` (HTTP
429 with Retry-After). A backend without a batch engine runs one request at a time.

Each admitted request is a :class:`Job`: the request's coroutine reads its chunks without
blocking the event loop, and closes it when done, however the request ended; a client that
disconnects frees its row after the current step.

Opening a request does work before any token: the prompt is encoded and a
``response_format`` compiled into an automaton, which can take seconds. That runs on a
preparing thread (one, so requests keep their arrival order), never on the event loop,
which must stay free to answer the other clients meanwhile.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import queue
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..backends.base import Backend
from ..errors import ContextLengthError, InvalidRequestError
from ..types import Chunk, Completion, Request

if TYPE_CHECKING:
    from ..nn.continuous_batching import BatchEngine, Delivery, SequenceHandle

__all__ = ["Job", "Scheduler", "SchedulerStats", "ServerBusyError"]

log = logging.getLogger("promptcraft.server")

_END = object()
# Tokens per second are counted over this many recent seconds, time to first token over
# this many recent requests.
_RATE_WINDOW_S = 10.0
_RECENT_REQUESTS = 1000


class ServerBusyError(Exception):
    """Every row is busy and the queue is full; retry later."""


class LatencySummary(BaseModel):
    """Seconds, over the last requests (at most 1,000)."""

    count: int
    p50: float | None
    p95: float | None


class SchedulerStats(BaseModel):
    """``GET /metrics``: what the server is doing now, and counters since it started."""

    max_batch: int = Field(description="Requests that generate together at most.")
    max_queue: int = Field(description="Requests that may wait for a row; more get 429.")
    running: int = Field(description="Requests generating now (holding a row of the batch).")
    waiting: int = Field(description="Admitted requests not generating yet.")
    in_flight: int = Field(description="Admitted and not yet answered: running, waiting, sending.")
    admitted: int
    rejected: int = Field(description="Refused with 429.")
    completed: int
    cancelled: int = Field(description="Stopped early because the client went away.")
    failed: int
    prompt_tokens: int = Field(description="Of completed requests.")
    cached_prompt_tokens: int = Field(description="Of those, taken from the prefix cache.")
    completion_tokens: int = Field(description="Of completed requests.")
    cancelled_chunks: int = Field(description="Chunks sent to requests later cancelled.")
    tokens_per_second: float = Field(description="Tokens generated per second, last 10 s.")
    time_to_first_token: LatencySummary = Field(description="From admission to first chunk.")
    batch_sizes: dict[int, int] = Field(
        description="Decoding steps by how many requests they ran (local backends)."
    )


class Job:
    """One admitted request: its chunks as the engine produces them.

    Read it with ``async for chunk in job`` (or :meth:`completion`); an error of the backend
    is raised there. Call :meth:`close` when done with it, however the request ended: that
    stops a generation still running and frees its place.
    """

    def __init__(self, id: int, request: Request, release: Callable[[Job], None]):
        self.id = id
        self.request = request
        self.created = time.monotonic()
        self.first_chunk_at: float | None = None
        self.chunks = 0
        self.usage: Any = None
        self._release = release
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[Any] = asyncio.Queue()
        self._cancelled = threading.Event()
        self._closed = False
        self.on_cancel: Callable[[], None] | None = None  # stops the generation

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
        """Stop the generation if it still runs, and free its place. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._cancelled.set()
        if self.on_cancel is not None:
            self.on_cancel()
        self._release(self)

    # --- engine side ---------------------------------------------------------------------------

    def deliver(self, item: Any) -> None:
        """Hand a chunk, an error or the end over to the reader (from the engine thread)."""
        if isinstance(item, Chunk):
            self.chunks += 1
            if self.first_chunk_at is None:
                self.first_chunk_at = time.monotonic()
        try:
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)
        except RuntimeError:  # the event loop is gone: the server is shutting down
            self._cancelled.set()


class Scheduler:
    """Admits requests for a backend and runs them: batched continuously on a local
    backend's engine, else one at a time in arrival order. Without ``engine_thread``, the
    engine computes only in :meth:`work_here`."""

    def __init__(
        self,
        backend: Backend,
        *,
        max_batch: int = 16,
        max_queue: int = 64,
        prefill_chunk: int | None = None,
        engine_thread: bool = True,
    ):
        if max_batch < 1 or max_queue < 0:
            raise ValueError(
                f"max_batch must be at least 1 and max_queue at least 0, not {max_batch}, "
                f"{max_queue}"
            )
        self.backend = backend
        self.max_batch, self.max_queue = max_batch, max_queue
        make_engine = getattr(backend, "batch_engine", None)
        self._engine: BatchEngine | None = (
            None
            if make_engine is None
            else make_engine(max_batch=max_batch, chunk=prefill_chunk, own_thread=engine_thread)
        )
        self._sequential = None if self._engine is not None else _OneAtATime(self)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            (
                "in_flight",
                "admitted",
                "rejected",
                "completed",
                "cancelled",
                "failed",
                "prompt_tokens",
                "cached_prompt_tokens",
                "completion_tokens",
                "cancelled_chunks",
                "preparing",
                "sequential_running",
                "sequential_waiting",
            ),
            0,
        )
        self._ttft: collections.deque[float] = collections.deque(maxlen=_RECENT_REQUESTS)
        self._token_times: collections.deque[float] = collections.deque()
        self._preparer = ThreadPoolExecutor(1, thread_name_prefix="promptcraft-serve-prepare")
        self._closing = False

    async def submit(self, request: Request) -> Job:
        """Admit a request, or raise :class:`ServerBusyError`. A request the backend refuses
        (its prompt does not fit the context, say) raises the backend's error here, before
        it takes a place in line."""
        with self._lock:
            if self._counts["in_flight"] >= self.max_batch + self.max_queue:
                self._counts["rejected"] += 1
                raise ServerBusyError(
                    f"{self.max_batch} requests are generating and {self.max_queue} waiting "
                    "(the server's --max-batch and --max-queue); retry later"
                )
            self._counts["in_flight"] += 1
            self._counts["preparing"] += 1
        job = Job(next(self._ids), request, self._finish)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._preparer, self._start, job)
        except BaseException:
            self._count(in_flight=-1, preparing=-1)
            raise
        self._count(admitted=1, preparing=-1)
        return job

    def stats(self) -> SchedulerStats:
        engine = self._engine
        with self._lock:
            counts = dict(self._counts)
            now = time.monotonic()
            while self._token_times and self._token_times[0] < now - _RATE_WINDOW_S:
                self._token_times.popleft()
            rate = len(self._token_times) / _RATE_WINDOW_S
            ttft = sorted(self._ttft)
        if engine is not None:
            counters = engine.snapshot()
            running, queued = counters.running, counters.waiting
            sizes = dict(sorted(counters.batch_sizes.items()))
        else:
            running, queued = counts["sequential_running"], counts["sequential_waiting"]
            sizes = {}
        return SchedulerStats(
            max_batch=self.max_batch,
            max_queue=self.max_queue,
            running=running,
            waiting=queued + counts["preparing"],
            in_flight=counts["in_flight"],
            admitted=counts["admitted"],
            rejected=counts["rejected"],
            completed=counts["completed"],
            cancelled=counts["cancelled"],
            failed=counts["failed"],
            prompt_tokens=counts["prompt_tokens"],
            cached_prompt_tokens=counts["cached_prompt_tokens"],
            completion_tokens=counts["completion_tokens"],
            cancelled_chunks=counts["cancelled_chunks"],
            tokens_per_second=rate,
            time_to_first_token=LatencySummary(
                count=len(ttft),
                p50=statistics.median(ttft) if ttft else None,
                p95=ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))] if ttft else None,
            ),
            batch_sizes=sizes,
        )

    def work_here(self, running: Callable[[], bool]) -> None:
        """Generate in the calling thread while ``running()`` (see
        :meth:`~promptcraft.nn.continuous_batching.BatchEngine.work_here`); a backend without
        a batch engine keeps its own thread, and this only waits."""
        if self._engine is not None:
            self._engine.work_here(running)
            return
        while running():
            time.sleep(0.2)

    def close(self) -> None:
        """Stop generating: requests still running end with an error."""
        self._closing = True
        self._preparer.shutdown(wait=False, cancel_futures=True)
        if self._engine is not None:
            self._engine.close()
        if self._sequential is not None:
            self._sequential.close()

    # --- internals -----------------------------------------------------------------------------

    def _start(self, job: Job) -> None:
        """On the preparing thread: encode the request and hand it to the engine."""
        if self._engine is None:
            assert self._sequential is not None
            self._sequential.start(job)
            return
        prepare = getattr(self.backend, "prepare_generation")  # noqa: B009 (duck-typed)
        ids, params, constraint = prepare(job.request)
        handle: SequenceHandle = self._engine.submit(
            ids, params, self._deliverer(job), constraint=constraint
        )
        job.on_cancel = handle.cancel

    def _deliverer(self, job: Job) -> Callable[[Delivery], None]:
        from ..backends.local import chunk_of

        def deliver(item: Delivery) -> None:
            if isinstance(item, BaseException):
                self._failed(job, item)
                return
            chunk = chunk_of(item)
            if chunk is None:
                return
            if chunk.finish_reason is None:
                self._token()
            job.deliver(chunk)
            if chunk.usage is not None:
                job.usage = chunk.usage
                job.deliver(_END)

        return deliver

    def _token(self) -> None:
        with self._lock:
            self._token_times.append(time.monotonic())

    def _failed(self, job: Job, exc: BaseException) -> None:
        if isinstance(exc, (InvalidRequestError, ContextLengthError)):  # the client's doing
            log.info("request %d refused by the backend: %s", job.id, exc)
        elif self._closing:
            log.info("request %d ended unfinished: %s", job.id, exc)
        elif not job.cancelled:
            log.error("request %d failed: %s", job.id, exc)
        job.usage = exc
        job.deliver(exc)

    def _finish(self, job: Job) -> None:
        """A job is closed: count how it ended and free its place."""
        usage = job.usage
        with self._lock:
            self._counts["in_flight"] -= 1
            if job.first_chunk_at is not None:
                self._ttft.append(job.first_chunk_at - job.created)
            if isinstance(usage, BaseException):
                self._counts["failed"] += 1
            elif usage is None:
                self._counts["cancelled"] += 1
                self._counts["cancelled_chunks"] += job.chunks
            else:
                self._counts["completed"] += 1
                self._counts["prompt_tokens"] += usage.prompt_tokens
                self._counts["cached_prompt_tokens"] += usage.cached_prompt_tokens
                self._counts["completion_tokens"] += usage.completion_tokens
        if usage is None:
            log.info("request %d cancelled by its client after %d chunks", job.id, job.chunks)

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for key, delta in deltas.items():
                self._counts[key] += delta


class _OneAtATime:
    """Runs a backend's streams one at a time, in arrival order, on one thread: for a
    backend without a batch engine."""

    def __init__(self, scheduler: Scheduler):
        self._scheduler = scheduler
        self._pending: queue.SimpleQueue[tuple[Job, Iterator[Chunk]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self, job: Job) -> None:
        request = job.request
        # The backend encodes the prompt here and generates only when iterated.
        source = request.prompt if request.prompt is not None else list(request.messages or ())
        options = {"response_format": request.response_format} if request.response_format else {}
        stream = self._scheduler.backend.stream(source, request.params, **options)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="promptcraft-serve-engine", daemon=True
            )
            self._thread.start()
        self._scheduler._count(sequential_waiting=1)
        self._pending.put((job, stream))

    def close(self) -> None:
        self._pending.put(None)

    def _run(self) -> None:
        while (item := self._pending.get()) is not None:
            job, stream = item
            self._scheduler._count(sequential_running=1, sequential_waiting=-1)
            try:
                self._generate(job, stream)
            finally:
                self._scheduler._count(sequential_running=-1)

    def _generate(self, job: Job, stream: Iterator[Chunk]) -> None:
        try:
            try:
                if not job.cancelled:
                    for chunk in stream:
                        if chunk.finish_reason is None:
                            self._scheduler._token()
                        job.deliver(chunk)
                        job.usage = chunk.usage or job.usage
                        if job.cancelled:
                            break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # a local stream stops after its current token
        except Exception as exc:
            self._scheduler._failed(job, exc)
            return
        if job.cancelled:
            job.usage = None
            return
        job.deliver(_END)
