"""One call to an OpenAI-compatible server, sans I/O: the request to send, what to do after
each failed try (wait and retry, switch the token-limit parameter, or raise the typed error),
and reading the answer, whole or streamed.

:class:`~.openai.OpenAIBackend`'s sync and async twins drive the same :class:`Exchange`; only
their sending, reading and sleeping differ.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import BackendError, BackendUnavailableError
from ..types import Chunk, Completion
from .http_errors import error_for_event, error_for_status, parse_error_body, redact
from .openai_stream import StreamAssembler
from .openai_wire import Endpoint, TokenParam, other_token_param, parse_completion
from .retry import RetryPolicy
from .sse import SSEDecoder

__all__ = ["Exchange", "StreamReader"]

logger = logging.getLogger("promptcraft.backends.openai")


class Exchange:
    """One logical call, sans I/O: the request to send, what to do after each failed try
    (wait and retry, switch the token-limit parameter, or raise), and reading the answer."""

    def __init__(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        *,
        endpoint: Endpoint | None = None,
        model: str = "",
        headers: Mapping[str, str],
        policy: RetryPolicy,
        secret: str | None,
        token_params: dict[Endpoint, TokenParam],
    ):
        self.method = method
        self.url = url
        self.body = body
        self.endpoint = endpoint
        self.model = model
        self.headers = headers
        self.policy = policy
        self.secret = secret  # the API key, scrubbed from every message
        # The backend's choice of token-limit name per endpoint, shared: a switch sticks.
        self.token_params = token_params
        self.retries = 0
        self.switched_token_param = False

    def build(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        stream = bool(self.body and self.body.get("stream"))
        headers = {
            **self.headers,
            "Accept": "text/event-stream" if stream else "application/json",
        }
        return client.build_request(self.method, self.url, json=self.body, headers=headers)

    def after_transport_error(self, exc: httpx.TransportError) -> float:
        """Seconds to wait before the next try, or the error to give up with."""
        what = f"{type(exc).__name__}: {self._secret_free(str(exc)) or 'no detail'}"
        if self.retries >= self.policy.max_retries:
            raise BackendUnavailableError(
                f"no answer from the server at {self.url} after {self.retries + 1} "
                f"{'try' if self.retries == 0 else 'tries'} ({what}); check that it is "
                "running, that the URL is right, and the timeout"
            ) from None
        return self._next_delay(what, None)

    def after_error_response(self, response: httpx.Response) -> float:
        status, headers, content = response.status_code, response.headers, response.content
        if status == 400 and self._switch_token_param(content):
            return 0.0
        policy = self.policy
        if self.retries < policy.max_retries and policy.should_retry_status(status, headers):
            return self._next_delay(f"HTTP {status}", headers)
        raise error_for_status(status, content, url=self.url, headers=headers, secret=self.secret)

    def completion(self, response: httpx.Response) -> Completion:
        assert self.endpoint is not None
        payload = self._json(response)
        if isinstance(payload, Mapping) and "error" in payload and not payload.get("choices"):
            # Some servers answer a failure with HTTP 200 and an error body.
            raise error_for_event(payload, url=self.url, secret=self.secret)
        return parse_completion(payload, self.endpoint, model=self.model, url=self.url)

    def stream_reader(self, response: httpx.Response) -> StreamReader | None:
        """A reader of the event stream, or None when the answer is plain JSON."""
        assert self.endpoint is not None
        if response.headers.get("content-type", "").startswith("application/json"):
            return None
        assembler = StreamAssembler(self.endpoint, url=self.url, secret=self.secret)
        return StreamReader(assembler)

    def chunks_of_body(self, response: httpx.Response) -> list[Chunk]:
        """The chunks of a stream that a server answered with one JSON body."""
        whole = self.completion(response)
        first = Chunk(text=whole.text, logprobs=whole.logprobs, reasoning=whole.reasoning or "")
        last = Chunk(
            finish_reason=whole.finish_reason, usage=whole.usage, tool_calls=whole.tool_calls
        )
        return [first, last]

    def dropped(self, exc: httpx.TransportError) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"the connection to {self.url} broke mid-stream ({type(exc).__name__}: "
            f"{self._secret_free(str(exc)) or 'no detail'}); the request was not repeated, "
            "since output had already arrived"
        )

    def model_ids(self, response: httpx.Response) -> list[str]:
        payload = self._json(response)
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, list):
            raise BackendError(f"the server at {self.url} answered without a model list")
        return [str(entry["id"]) for entry in data if isinstance(entry, Mapping) and "id" in entry]

    # --- helpers -----------------------------------------------------------------------------

    def _next_delay(self, what: str, headers: Mapping[str, str] | None) -> float:
        policy = self.policy
        delay = policy.delay(self.retries, headers)
        self.retries += 1
        logger.info(
            "%s %s failed (%s); retry %d of %d in %.2f s",
            self.method,
            self.url,
            what,
            self.retries,
            policy.max_retries,
            delay,
        )
        return delay

    def _switch_token_param(self, content: bytes) -> bool:
        if self.switched_token_param or self.body is None or self.endpoint is None:
            return False
        sent: TokenParam = self.token_params[self.endpoint]
        if sent not in self.body:
            return False
        other = other_token_param(sent, parse_error_body(content))
        if other is None:
            return False
        self.switched_token_param = True
        self.body = {other if k == sent else k: v for k, v in self.body.items()}
        self.token_params[self.endpoint] = other
        logger.info("%s rejected %s; retrying with %s", self.url, sent, other)
        return True

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise BackendError(
                f"the server at {self.url} answered HTTP {response.status_code} with a body "
                f"that is not JSON: {response.text[:200]!r}",
                status=response.status_code,
            ) from None

    def _secret_free(self, text: str) -> str:
        return redact(text, self.secret)


class StreamReader:
    """Lines of an event stream in, chunks out: the part of a stream the twins share."""

    def __init__(self, assembler: StreamAssembler):
        self.decoder = SSEDecoder()
        self.assembler = assembler

    def take(self, line: str) -> list[Chunk]:
        if self.assembler.done:  # anything after [DONE] is not part of the completion
            return []
        event = self.decoder.decode(line)
        return [] if event is None else self.assembler.feed(event)

    def end(self) -> list[Chunk]:
        event = self.decoder.flush()
        chunks = [] if event is None or self.assembler.done else self.assembler.feed(event)
        return [*chunks, self.assembler.finish()]
