"""The OpenAI-compatible HTTP API over one :class:`~promptcraft.backends.base.Backend`.

=========================  ===========================================================
``GET /health``            ``{"status": "ok", "model": ...}``; never needs the API key
``GET /metrics``           the scheduler's counters (:class:`.scheduler.SchedulerStats`)
``GET /v1/models``         the one model served (also ``GET /v1/models/{id}``)
``POST /v1/completions``   a text prompt; ``stream: true`` for server-sent events
``POST /v1/chat/completions``  messages, formatted by the model's chat template
=========================  ===========================================================

Every failure is an OpenAI-style error body (see :mod:`.errors`); the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Literal, NamedTuple, TypeVar

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..backends.base import Backend
from ..errors import BackendError, ConstraintError, ContextLengthError, InvalidRequestError
from ..types import Chunk, Request as GenerationRequest
from .auth import RequireAPIKey
from .errors import AnswerFailures, APIError, error_response, from_backend_error
from .request_body import read_body
from .scheduler import Job, Scheduler, ServerBusyError
from .schemas import ChatCompletionRequest, CompletionRequest, ModelCard, ModelList
from .settings import ServerSettings
from .sse import DONE, EventStreamResponse, encode_event, wait_for_disconnect
from .to_request import chat_request, completion_request
from .to_response import (
    ChatStreamFormatter,
    CompletionStreamFormatter,
    chat_response,
    completion_response,
    new_id,
)

__all__ = ["create_app"]

T = TypeVar("T")


def create_app(
    backend: Backend, settings: ServerSettings, *, engine_thread: bool = True
) -> Starlette:
    """The ASGI app serving ``backend`` under the name ``settings.model_id``. Without
    ``engine_thread``, generation happens only while some thread runs
    ``app.state.scheduler.work_here(...)`` (as :func:`.run.serve` does on the main thread)."""
    api = _API(backend, settings, engine_thread=engine_thread)
    routes = [
        Route("/health", api.health, methods=["GET"]),
        Route("/metrics", api.metrics, methods=["GET"]),
        Route("/v1/models", api.models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", api.model, methods=["GET"]),
        Route("/v1/completions", api.completions, methods=["POST"]),
        Route("/v1/chat/completions", api.chat_completions, methods=["POST"]),
    ]
    # AnswerFailures is outermost, so that a failure anywhere (the key check too) is answered.
    middleware = [Middleware(AnswerFailures)]
    if settings.api_key is not None:
        middleware.append(Middleware(RequireAPIKey, api_key=settings.api_key.get_secret_value()))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        api.scheduler.close()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={APIError: _api_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.scheduler = api.scheduler
    return app


class _API:
    def __init__(self, backend: Backend, settings: ServerSettings, *, engine_thread: bool):
        self.backend = backend
        self.settings = settings
        self.scheduler = Scheduler(
            backend,
            max_batch=settings.max_batch,
            max_queue=settings.max_queue,
            prefill_chunk=settings.prefill_chunk,
            engine_thread=engine_thread,
        )
        self.started = int(time.time())

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok", "model": self.settings.model_id})

    async def metrics(self, request: Request) -> Response:
        return _json(self.scheduler.stats())

    async def models(self, request: Request) -> Response:
        return _json(ModelList(data=[self._card(name) for name in self._names]))

    async def model(self, request: Request) -> Response:
        name = request.path_params["model_id"]
        self._check_model(name)
        return _json(self._card(name))

    async def completions(self, request: Request) -> Response:
        body = await read_body(request, CompletionRequest, limit=self.settings.max_body_bytes)
        self._check_model(body.model)
        generation = completion_request(body)
        limit = _MaxTokens(body.max_tokens, "max_tokens")
        return await self._respond(request, generation, "completion", body, limit)

    async def chat_completions(self, request: Request) -> Response:
        body = await read_body(request, ChatCompletionRequest, limit=self.settings.max_body_bytes)
        self._check_model(body.model)
        if not self.backend.capabilities.chat:
            raise APIError(
                400,
                f"model {self.settings.model_id!r} has no chat template, so it cannot take "
                "messages; use /v1/completions with a text prompt",
                param="messages",
                code="chat_not_supported",
            )
        generation = chat_request(body)
        if body.max_completion_tokens is not None:
            limit = _MaxTokens(body.max_completion_tokens, "max_completion_tokens")
        else:
            limit = _MaxTokens(body.max_tokens, "max_tokens")
        return await self._respond(request, generation, "chat", body, limit)

    # --- generation ----------------------------------------------------------------------------

    async def _respond(
        self,
        request: Request,
        generation: GenerationRequest,
        kind: Literal["completion", "chat"],
        body: CompletionRequest | ChatCompletionRequest,
        limit: _MaxTokens,
    ) -> Response:
        param = "prompt" if kind == "completion" else "messages"
        job = await self._submit(generation, param=param, limit=limit)
        id = new_id("cmpl" if kind == "completion" else "chatcmpl")
        model = self.settings.model_id
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        if body.stream:
            formatter: CompletionStreamFormatter | ChatStreamFormatter
            if kind == "completion":
                formatter = CompletionStreamFormatter(id, model, include_usage=include_usage)
            else:
                formatter = ChatStreamFormatter(id, model, include_usage=include_usage)
            # The first chunk is awaited before the status line, so that a request the
            # backend refuses only when it starts (a response_format that needs more than
            # max_tokens) is a 400 like its non-streamed twin, not a 200 with an error event.
            chunks = aiter(job)
            try:
                first = await _unless_disconnected(request, _next_chunk(chunks))
            except Exception as exc:
                job.close()
                raise _api_error_of(exc, param, limit) or exc from None
            if first is None:  # the client left
                job.close()
                return Response(status_code=499)
            events = _events(first, chunks, formatter, job, param=param, limit=limit)
            return EventStreamResponse(events, on_close=job.close)
        try:
            completion = await _unless_disconnected(request, job.completion(model))
        except Exception as exc:
            raise _api_error_of(exc, param, limit) or exc from None
        finally:
            job.close()
        if completion is None:  # the client left; nobody reads this
            return Response(status_code=499)
        if kind == "completion":
            return _json(completion_response(id, model, completion))
        return _json(chat_response(id, model, completion))

    async def _submit(self, generation: GenerationRequest, *, param: str, limit: _MaxTokens) -> Job:
        try:
            return await self.scheduler.submit(generation)
        except ServerBusyError as exc:
            raise APIError(
                429,
                str(exc),
                type="rate_limit_error",
                code="server_busy",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            ) from None
        except Exception as exc:
            raise _api_error_of(exc, param, limit) or exc from None

    # --- models --------------------------------------------------------------------------------

    @property
    def _names(self) -> tuple[str, ...]:
        return (self.settings.model_id, *self.settings.aliases)

    def _card(self, name: str) -> ModelCard:
        return ModelCard(
            id=name, created=self.started, max_model_len=self.backend.capabilities.max_context
        )

    def _check_model(self, name: str) -> None:
        if name not in self._names:
            served = " or ".join(repr(n) for n in self._names)
            raise APIError(
                404,
                f"the model {name!r} does not exist: this server serves {served}",
                param="model",
                code="model_not_found",
            )


class _MaxTokens(NamedTuple):
    """The output limit a client sent (None when unset), and the field it sent it in."""

    value: int | None
    param: str


def _refused(
    exc: ContextLengthError | InvalidRequestError, param: str, limit: _MaxTokens
) -> APIError:
    return from_backend_error(
        exc, param=param, max_tokens=limit.value, max_tokens_param=limit.param
    )


def _api_error_of(exc: Exception, param: str, limit: _MaxTokens) -> APIError | None:
    """What the client hears of a backend's failure during generation; None for a bug."""
    if isinstance(exc, (ContextLengthError, InvalidRequestError)):  # a backend that checks late
        return _refused(exc, param, limit)
    if isinstance(exc, ConstraintError):  # a response_format the backend cannot compile
        return APIError(400, str(exc), param="response_format", code="invalid_value")
    if isinstance(exc, BackendError):
        return APIError(500, str(exc), type="server_error", code="backend_error")
    return None


async def _next_chunk(chunks: AsyncIterator[Chunk]) -> list[Chunk]:
    """The next chunk as a one-item list; an empty list at the end."""
    async for chunk in chunks:
        return [chunk]
    return []


async def _events(
    first: list[Chunk],
    chunks: AsyncIterator[Chunk],
    formatter: CompletionStreamFormatter | ChatStreamFormatter,
    job: Job,
    *,
    param: str,
    limit: _MaxTokens,
) -> AsyncIterator[bytes]:
    try:
        if isinstance(formatter, ChatStreamFormatter):
            yield encode_event(formatter.opening())
        for chunk in first:
            for event in formatter.events(chunk):
                yield encode_event(event)
        async for chunk in chunks:
            for event in formatter.events(chunk):
                yield encode_event(event)
        yield DONE
    except Exception as exc:  # the status line is sent already: report it in the stream
        error = _api_error_of(exc, param, limit) or APIError(
            500, "generation failed; see the log", type="server_error", code="internal_error"
        )
        yield encode_event(error.body())
    finally:
        job.close()


async def _unless_disconnected(request: Request, work: Awaitable[T]) -> T | None:
    """``await work``, unless the client disconnects first: then cancel it, return None."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(wait_for_disconnect(request.receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
    if not task.done() or task.cancelled():
        return None
    return task.result()


def _json(model: BaseModel | dict[str, str]) -> Response:
    body = model.model_dump_json() if isinstance(model, BaseModel) else json.dumps(model)
    return Response(body, media_type="application/json")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "unknown_url", 405: "method_not_allowed"}.get(exc.status_code)
    message = {
        404: f"unknown endpoint {request.url.path}; this server has /v1/models, "
        "/v1/completions, /v1/chat/completions and /health",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, str(exc.detail))
    return error_response(APIError(exc.status_code, message, code=code))
