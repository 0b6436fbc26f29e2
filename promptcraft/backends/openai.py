"""``OpenAIBackend``: any OpenAI-compatible server (api.openai.com, vLLM, llama.cpp's server,
Ollama, ``promptcraft serve``) behind the :class:`~.base.Backend` API, over httpx.

``generate()`` sends the raw text prompt to ``/v1/completions``; ``chat()`` sends messages
to ``/v1/chat/completions``; ``stream()`` picks by its input and reads server-sent events.
The sync and async methods are twins over one sans-I/O core: each call is an
:class:`~.openai_exchange.Exchange` built from the request bodies (:mod:`.openai_wire`), the
retry policy (:mod:`.retry`), the stream assembler (:mod:`.openai_stream`) and the error
mapping (:mod:`.http_errors`); only the sending, reading and sleeping differ. Connections
are pooled (one ``httpx.Client`` and one ``httpx.AsyncClient`` per backend, made on first
use) and timeouts are on by default.

Retries follow openai-python (see :mod:`.retry`): 408, 409, 429, 5xx and connection errors,
``max_retries`` times (default 2), with exponential backoff or the server's
``retry-after``. A stream is never replayed once its answer has begun.

Server quirks handled here:

- **max_tokens vs max_completion_tokens.** OpenAI's newer (reasoning) models reject
  ``max_tokens``; other servers may not know ``max_completion_tokens``. Chat requests to
  api.openai.com send ``max_completion_tokens``, everything else sends ``max_tokens``, and a
  400 whose message names the other parameter is retried once with it (and the backend
  remembers the switch for its later calls).
- **Sampling defaults differ between servers** (llama.cpp and Ollama sample at temperature
  0.8): every server but api.openai.com receives ``temperature`` and ``top_p`` explicitly,
  so a call means the same everywhere. ``top_k``, ``min_p``, ``repetition_penalty``,
  ``min_tokens`` and ``ignore_eos`` are sent under vLLM's names when set; api.openai.com
  does not take them, so setting one there raises before any call.
- **finish_reason on a separate chunk.** Many servers send the finish reason on a chunk with
  an empty delta, and usage on yet another with no choices: the final chunk is assembled
  from all of them when the stream ends.
- **Tool calls say "stop".** Some servers report ``finish_reason: "stop"`` for a message
  with tool calls; promptcraft reports ``"tool_calls"`` whenever there are any. A call
  without an ``id`` gets ``call_<index>``; arguments sent as an object become JSON text.
- **reasoning_content vs reasoning.** DeepSeek and older vLLM name a reasoning model's
  thinking ``reasoning_content``; newer vLLM, Ollama and OpenRouter name it ``reasoning``.
  Either becomes ``Completion.reasoning`` (and ``Chunk.reasoning`` deltas).
- **Errors inside a stream.** A server that fails after it began a stream sends an
  ``{"error": ...}`` event under HTTP 200: it raises the same typed errors as an HTTP error.
- **Error bodies** come nested (OpenAI), flat (vLLM), as ``{"detail": ...}`` (FastAPI) or as
  plain text: all are read (see :mod:`.http_errors`).
- **Usage.** Streams ask for usage with ``stream_options.include_usage``; a server that
  reports none yields zero counts.
- **Log-probabilities** come as text tokens, so ``TokenLogprob.token_id`` is None.
- **Completions models on api.openai.com.** ``/v1/completions`` there serves only the
  completions models (``gpt-3.5-turbo-instruct``, ``davinci-002``); ``generate()`` with a chat
  model gets the server's 404 as a :class:`~promptcraft.errors.BadRequestError`: use
  ``chat()`` for chat models.

The API key is sent only in the ``Authorization`` header. It never appears in ``repr``,
in log records or in error messages (a server that echoes it back is redacted).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import BackendError
from ..types import Capabilities, Chunk, Completion, Request
from .base import Backend
from .openai_exchange import Exchange
from .openai_wire import PATHS, Endpoint, TokenParam, build_body, endpoint_for
from .retry import RetryPolicy
from .spec import OPENAI_BASE_URL

__all__ = ["DEFAULT_TIMEOUT", "OPENAI_BASE_URL", "OpenAIBackend"]

#: Five seconds to connect; ten minutes for the rest, as openai-python: long generations are
#: slow, but a server that never answers still fails.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


class OpenAIBackend(Backend):
    """A model served over the OpenAI API.

    ::

        backend = OpenAIBackend("gpt-4o-mini")  # api.openai.com, key from OPENAI_API_KEY
        backend = OpenAIBackend("llama3", base_url="http://localhost:8000/v1")
        with backend:
            print(backend.chat([{"role": "user", "content": "Hi"}]).text)

    Options: ``api_key`` (for api.openai.com it defaults to ``OPENAI_API_KEY``; other servers
    get no key unless given one, so the OpenAI key never leaks to them), ``timeout`` (seconds
    or an ``httpx.Timeout``), ``max_retries``, ``initial_retry_delay`` and
    ``max_retry_delay`` (the backoff, seconds), ``headers`` (sent with every request), and
    ``http_client`` / ``async_http_client`` to bring your own configured httpx clients
    (proxies, certificates); those are yours to close.

    Beyond the Backend API: ``tools=``, ``tool_choice=`` and ``response_format=`` pass
    through to chat requests in OpenAI's shapes; tool calls come back on
    ``Completion.tool_calls``.
    """

    capabilities = Capabilities(
        completion=True,
        chat=True,
        streaming=True,
        logprobs=True,
        native_tool_calls=True,
        constrained_decoding=False,
        response_format=True,
        prefix_cache=False,
        max_context=None,
    )

    def __init__(
        self,
        model: str,
        *,
        base_url: str = OPENAI_BASE_URL,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        initial_retry_delay: float = 0.5,
        max_retry_delay: float = 8.0,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ):
        if not model or not isinstance(model, str):
            raise BackendError("OpenAIBackend needs a model name, such as 'gpt-4o-mini'")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.official = urlsplit(self.base_url).hostname == "api.openai.com"
        if api_key is None and self.official:
            api_key = os.environ.get("OPENAI_API_KEY") or None
            if api_key is None:
                raise BackendError(
                    "no API key for api.openai.com: set the OPENAI_API_KEY environment "
                    "variable or pass api_key=..."
                )
        self._api_key = api_key
        self.timeout = timeout
        self.retry_policy = RetryPolicy(
            max_retries=max_retries,
            initial_delay=initial_retry_delay,
            max_delay=max_retry_delay,
        )
        self._headers = {"User-Agent": "promptcraft", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        # Which name of the token limit each endpoint takes; a 400 may switch it (see docs).
        self._token_params: dict[Endpoint, TokenParam] = {
            "chat": "max_completion_tokens" if self.official else "max_tokens",
            "completions": "max_tokens",
        }
        self._client = http_client
        self._owns_client = http_client is None
        self._async_client = async_http_client
        self._owns_async_client = async_http_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    def cache_identity(self) -> str:
        """The model on this server: the same name elsewhere may be another model."""
        return f"{super().cache_identity()}|{self.base_url}"

    # --- the Backend core: sync ----------------------------------------------------------------

    def _complete(self, request: Request) -> Completion:
        exchange = self._exchange(request, stream=False)
        response = self._send(exchange, stream=False)
        return exchange.completion(response)

    def _stream(self, request: Request) -> Iterator[Chunk]:
        exchange = self._exchange(request, stream=True)  # bad input fails here, at the call
        return self._iter_stream(exchange)

    def _iter_stream(self, exchange: Exchange) -> Iterator[Chunk]:
        response = self._send(exchange, stream=True)
        reader = exchange.stream_reader(response)
        try:
            if reader is None:  # the server answered with one JSON body after all
                response.read()
                yield from exchange.chunks_of_body(response)
                return
            for line in response.iter_lines():
                yield from reader.take(line)
            yield from reader.end()
        except httpx.TransportError as exc:
            raise exchange.dropped(exc) from None
        finally:
            response.close()

    def _send(self, exchange: Exchange, *, stream: bool) -> httpx.Response:
        """Send until an answer is worth returning: a success, or a typed error raised."""
        client = self._sync_client()
        while True:
            try:
                response = client.send(exchange.build(client), stream=True)
                if not (stream and response.is_success):
                    try:
                        response.read()
                    finally:
                        response.close()
            except httpx.TransportError as exc:
                time.sleep(exchange.after_transport_error(exc))
                continue
            if response.is_success:
                return response
            time.sleep(exchange.after_error_response(response))

    def list_models(self) -> list[str]:
        """The ids of the models the server offers (``GET /models``)."""
        exchange = self._call("GET", "/models", None)
        return exchange.model_ids(self._send(exchange, stream=False))

    # --- the Backend core: async ---------------------------------------------------------------

    async def _acomplete(self, request: Request) -> Completion:
        exchange = self._exchange(request, stream=False)
        response = await self._asend(exchange, stream=False)
        return exchange.completion(response)

    def _astream(self, request: Request) -> AsyncIterator[Chunk]:
        exchange = self._exchange(request, stream=True)
        return self._aiter_stream(exchange)

    async def _aiter_stream(self, exchange: Exchange) -> AsyncIterator[Chunk]:
        response = await self._asend(exchange, stream=True)
        reader = exchange.stream_reader(response)
        try:
            if reader is None:
                await response.aread()
                for chunk in exchange.chunks_of_body(response):
                    yield chunk
                return
            async for line in response.aiter_lines():
                for chunk in reader.take(line):
                    yield chunk
            for chunk in reader.end():
                yield chunk
        except httpx.TransportError as exc:
            raise exchange.dropped(exc) from None
        finally:
            await response.aclose()

    async def _asend(self, exchange: Exchange, *, stream: bool) -> httpx.Response:
        client = self._async_http_client()
        while True:
            try:
                response = await client.send(exchange.build(client), stream=True)
                if not (stream and response.is_success):
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except httpx.TransportError as exc:
                await asyncio.sleep(exchange.after_transport_error(exc))
                continue
            if response.is_success:
                return response
            await asyncio.sleep(exchange.after_error_response(response))

    async def alist_models(self) -> list[str]:
        """:meth:`list_models` without blocking the event loop."""
        exchange = self._call("GET", "/models", None)
        return exchange.model_ids(await self._asend(exchange, stream=False))

    # --- clients and lifetime ------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def _async_http_client(self) -> httpx.AsyncClient:
        # An AsyncClient's pooled connections belong to the event loop that opened them, so a
        # backend used from several asyncio.run() calls gets a client per loop.
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._async_client is None or (
                self._owns_async_client and self._async_loop is not loop
            ):
                self._async_client = httpx.AsyncClient(timeout=self.timeout)
                self._async_loop = loop
            return self._async_client

    def close(self) -> None:
        """Close the connection pools this backend opened. Idempotent; in async code, prefer
        ``await backend.aclose()``, which also closes the async pool cleanly."""
        with self._lock:
            client = self._client if self._owns_client else None
            if self._owns_client:  # a client the caller brought stays theirs, and in use
                self._client = None
            if self._owns_async_client:
                self._async_client, self._async_loop = None, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        with self._lock:
            aclient = self._async_client if self._owns_async_client else None
            current = self._async_loop is asyncio.get_running_loop()
        if aclient is not None and current:
            await aclient.aclose()
        self.close()

    # --- shared by the twins -------------------------------------------------------------------

    def _exchange(self, request: Request, *, stream: bool) -> Exchange:
        endpoint = endpoint_for(request)
        token_param = self._token_params[endpoint]
        body = build_body(
            request, self.model, stream=stream, token_param=token_param, official=self.official
        )
        return self._call("POST", PATHS[endpoint], body, endpoint=endpoint)

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        endpoint: Endpoint | None = None,
    ) -> Exchange:
        return Exchange(
            method,
            self.base_url + path,
            body,
            endpoint=endpoint,
            model=self.model,
            headers=self._headers,
            policy=self.retry_policy,
            secret=self._api_key,
            token_params=self._token_params,
        )
