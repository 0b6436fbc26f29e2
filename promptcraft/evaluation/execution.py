"""Sending an evaluation's requests to a backend, as fast as that backend allows.

- A backend that batches (``capabilities.batching``: the local decoder) gets batches.
  Requests are grouped by their parameters and sorted by prompt, so consecutive prompts
  share the longest prefixes: a shared few-shot prefix is prefilled once per batch, and the
  next batch reuses it from the prefix cache instead of computing it again.
- Any other backend gets up to ``concurrency`` requests in flight at once (its async
  methods; a remote server works on them in parallel).

A request of a template that declares ``output:`` is answered as ``template.run()``
answers it, through :mod:`promptcraft.structured`: constrained or ranked on the local model
(:func:`~promptcraft.structured.generate_structured_batch`: ranked choices share their
batch's prefix, constrained ones go through ``generate_batch``), parsed and validated with
the same retries everywhere. Its answer is the parsed output as text: the choice or the
match itself, or the JSON value (``json.dumps``).

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
from ..constraints.constraints import Constraint, JsonSchema, constraint_from_output
from ..constraints.output_spec import OutputSpec
from ..errors import AuthenticationError, BackendUnavailableError
from ..structured.batch import StructuredJob, generate_structured_batch
from ..structured.generate import agenerate_structured_result, generate_structured_result
from ..structured.ranking import ChoiceRanker
from ..structured.session import StructuredResult
from ..types import Completion, Message
from .response_cache import CachedCompletion

__all__ = ["PendingRequest", "run_requests"]


class PendingRequest(BaseModel):
    """One request to send: a text prompt or messages, the complete parameters, and the
    template's declared ``output`` (None: free text)."""

    model_config = ConfigDict(frozen=True)

    id: int
    text: str | None = None
    messages: list[Message] | None = None
    params: dict[str, Any]
    output: OutputSpec | None = None
    #: calibrated choices: the prompt with content-free inputs, as ``run()`` scores them
    calibration: tuple[str | list[Message], ...] = ()


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
    if backend.capabilities.batching and batch_size > 1:
        _run_batched(
            backend.generate_batch, [r for r in requests if r.output is None], on_done, batch_size
        )
        structured = [r for r in requests if r.output is not None]
        _run_structured_batched(backend, structured, on_done, batch_size)
        return
    breaker = _Breaker()
    if concurrency > 1:
        asyncio.run(_run_concurrently(backend, requests, on_done, concurrency, breaker))
        return
    for request in requests:
        if breaker.tripped is not None:
            on_done(request, breaker.tripped)
            continue
        try:
            answer = _answer(backend, request)
        except Exception as exc:
            breaker.record(exc)
            on_done(request, exc)
            continue
        on_done(request, answer)


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


def _run_structured_batched(
    backend: Backend, requests: Sequence[PendingRequest], on_done: Done, batch_size: int
) -> None:
    if not requests:
        return
    constraints = [_constraint(r) for r in requests]
    jobs = [
        StructuredJob(prompt=_prompt_of(r), schema=c, params=r.params, calibration=r.calibration)
        for r, c in zip(requests, constraints, strict=True)
    ]

    def done(index: int, outcome: StructuredResult[Any] | BaseException, seconds: float) -> None:
        request = requests[index]
        if isinstance(outcome, BaseException):
            on_done(request, outcome)
        else:
            on_done(request, _parsed(constraints[index], outcome, seconds))

    generate_structured_batch(backend, jobs, batch_size=batch_size, on_done=done)


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
            try:
                answer = await _aanswer(backend, request)
            except Exception as exc:
                breaker.record(exc)
                on_done(request, exc)
                return
            on_done(request, answer)

    try:
        await asyncio.gather(*(one(r) for r in requests))
    finally:
        # Async connection pools belong to this event loop, which ends here; backends open
        # new ones on their next call.
        await backend.aclose()


def _answer(backend: Backend, request: PendingRequest) -> CachedCompletion:
    """One request's answer, as ``template.run()`` gives it."""
    start = time.perf_counter()
    if request.output is not None:
        constraint = _constraint(request)
        result = _structured(backend, request, constraint)
        return _parsed(constraint, result, time.perf_counter() - start)
    if request.messages is not None:
        completion = backend.chat(request.messages, request.params)
    else:
        assert request.text is not None
        completion = backend.generate(request.text, request.params)
    return _cached(completion, time.perf_counter() - start)


async def _aanswer(backend: Backend, request: PendingRequest) -> CachedCompletion:
    """:func:`_answer` without blocking the event loop."""
    start = time.perf_counter()
    if request.output is not None:
        constraint = _constraint(request)
        if _calibrated(backend, request):  # ranked on the local model: blocking work
            result = await asyncio.to_thread(_structured, backend, request, constraint)
        else:
            result = await agenerate_structured_result(
                backend, _prompt_of(request), constraint, params=request.params
            )
        return _parsed(constraint, result, time.perf_counter() - start)
    if request.messages is not None:
        completion = await backend.achat(request.messages, request.params)
    else:
        assert request.text is not None
        completion = await backend.agenerate(request.text, request.params)
    return _cached(completion, time.perf_counter() - start)


def _structured(
    backend: Backend, request: PendingRequest, constraint: Constraint
) -> StructuredResult[Any]:
    """One structured request, with its calibration prompts when it has them."""
    if not _calibrated(backend, request):
        return generate_structured_result(
            backend, _prompt_of(request), constraint, params=request.params
        )
    job = StructuredJob(_prompt_of(request), constraint, request.params, request.calibration)
    (outcome,) = generate_structured_batch(backend, [job], batch_size=1)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _calibrated(backend: Backend, request: PendingRequest) -> bool:
    """Whether the request ranks calibrated choices (a backend that cannot rank generates
    the answer instead, and has no use for the content-free prompts)."""
    return bool(request.calibration) and isinstance(backend, ChoiceRanker)


def _constraint(request: PendingRequest) -> Constraint:
    assert request.output is not None
    constraint = constraint_from_output(request.output)
    assert constraint is not None
    return constraint


def _parsed(
    constraint: Constraint, result: StructuredResult[Any], seconds: float
) -> CachedCompletion:
    """A structured answer as the cache keeps it: the parsed output as text (JSON for a
    schema, the string itself for choices and regexes), and every attempt's usage."""
    value = result.output
    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    elif isinstance(constraint, JsonSchema):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return CachedCompletion(text=text, finish_reason="stop", usage=result.usage, seconds=seconds)


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
