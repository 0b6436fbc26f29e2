"""Sending an evaluation's requests to a backend, as fast as that backend allows.

- A backend with ``generate_batch`` (the local decoder) gets batches. Requests are grouped
  by their parameters and sorted by prompt, so consecutive prompts share the longest
  prefixes: a shared few-shot prefix is prefilled once per batch, and the next batch reuses
  it from the prefix cache instead of computing it again.
- Any other backend gets up to ``concurrency`` requests in flight at once (its async
  methods; a remote server works on them in parallel).

Each result goes to ``on_done`` as soon as it exists, so the caller can store it in the
response cache (an interrupted run loses at most one batch) and advance the progress bar.
A failed request is reported as its exception; the others go on, except after a failure
that every later request would repeat (the server cannot be reached at all, or refuses the
credentials): the requests not yet sent then fail with that same error at once, instead of
each waiting through its own retries.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..backends.base import Backend
from ..backends.types import Completion
from ..errors import AuthenticationError, BackendUnavailableError
from ..prompts.messages import Message
from .response_cache import CachedCompletion

__all__ = ["PendingRequest", "run_requests"]


class PendingRequest(BaseModel):
    """One request to send: a text prompt or messages, and the complete parameters."""

    model_config = ConfigDict(frozen=True)

    id: int
    text: str | None = None
    messages: list[Message] | None = None
    params: dict[str, Any]


Done = Callable[[PendingRequest, CachedCompletion | BaseException], None]


def run_requests(
    backend: Backend,
    requests: Sequence[PendingRequest],
    on_done: Done,
    *,
    batch_size: int = 8,
    concurrency: int = 8,
) -> None:
    """Run every request on ``backend``; call ``on_done`` once per request."""
    if not requests:
        return
    batch = getattr(backend, "generate_batch", None)
    if callable(batch) and batch_size > 1:
        _run_batched(batch, requests, on_done, batch_size)
        return
    breaker = _Breaker()
    if concurrency > 1:
        asyncio.run(_run_concurrently(backend, requests, on_done, concurrency, breaker))
        return
    for request in requests:
        if breaker.tripped is not None:
            on_done(request, breaker.tripped)
            continue
        start = time.perf_counter()
        try:
            completion = _call(backend, request)
        except Exception as exc:
            breaker.record(exc)
            on_done(request, exc)
            continue
        on_done(request, _cached(completion, time.perf_counter() - start))


class _Breaker:
    """Remembers the first failure that every later request to the backend would repeat."""

    def __init__(self) -> None:
        self.tripped: BaseException | None = None

    def record(self, exc: BaseException) -> None:
        unreachable = isinstance(exc, BackendUnavailableError) and exc.status is None
        if self.tripped is None and (unreachable or isinstance(exc, AuthenticationError)):
            self.tripped = exc


def _run_batched(
    generate_batch: Callable[..., list[Completion]],
    requests: Sequence[PendingRequest],
    on_done: Done,
    batch_size: int,
) -> None:
    groups: dict[str, list[PendingRequest]] = {}
    for request in requests:
        groups.setdefault(_params_key(request.params), []).append(request)
    for group in groups.values():
        # Sorted prompts put those with long common prefixes next to each other.
        group.sort(key=_sort_key)
        for start in range(0, len(group), batch_size):
            chunk = group[start : start + batch_size]
            began = time.perf_counter()
            try:
                completions = generate_batch([_prompt_of(r) for r in chunk], chunk[0].params)
            except Exception:
                # One bad prompt (too long for the context, say) fails the whole batch:
                # run its requests one by one so only that one is lost.
                for request in chunk:
                    began = time.perf_counter()
                    try:
                        (completion,) = generate_batch([_prompt_of(request)], request.params)
                    except Exception as exc:
                        on_done(request, exc)
                        continue
                    on_done(request, _cached(completion, time.perf_counter() - began))
                continue
            share = (time.perf_counter() - began) / len(chunk)
            for request, completion in zip(chunk, completions, strict=True):
                on_done(request, _cached(completion, share))


async def _run_concurrently(
    backend: Backend,
    requests: Sequence[PendingRequest],
    on_done: Done,
    concurrency: int,
    breaker: _Breaker,
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(request: PendingRequest) -> None:
        async with gate:
            if breaker.tripped is not None:
                on_done(request, breaker.tripped)
                return
            start = time.perf_counter()
            try:
                if request.messages is not None:
                    completion = await backend.achat(request.messages, request.params)
                else:
                    assert request.text is not None
                    completion = await backend.agenerate(request.text, request.params)
            except Exception as exc:
                breaker.record(exc)
                on_done(request, exc)
                return
            on_done(request, _cached(completion, time.perf_counter() - start))

    try:
        await asyncio.gather(*(one(r) for r in requests))
    finally:
        # Async connection pools belong to this event loop, which ends here; backends open
        # new ones on their next call.
        await backend.aclose()


def _call(backend: Backend, request: PendingRequest) -> Completion:
    if request.messages is not None:
        return backend.chat(request.messages, request.params)
    assert request.text is not None
    return backend.generate(request.text, request.params)


def _prompt_of(request: PendingRequest) -> Any:
    if request.messages is not None:
        return request.messages
    return request.text


def _sort_key(request: PendingRequest) -> str:
    if request.messages is not None:
        return json.dumps([m.model_dump(mode="json") for m in request.messages])
    return request.text or ""


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _cached(completion: Completion, seconds: float) -> CachedCompletion:
    return CachedCompletion(
        text=completion.text,
        finish_reason=completion.finish_reason,
        usage=completion.usage,
        seconds=seconds,
    )
