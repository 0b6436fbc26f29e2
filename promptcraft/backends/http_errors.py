"""Turn a model server's error answer into one typed promptcraft error.

Servers disagree on the shape of an error body; all of these are read:

- OpenAI (and most servers): ``{"error": {"message", "type", "param", "code"}}``;
- vLLM's flat form: ``{"object": "error", "message", "type", "param", "code"}``;
- a bare string: ``{"error": "model not found"}`` (Ollama);
- FastAPI's ``{"detail": "..."}`` or ``{"detail": [{"loc", "msg"}, ...]}``;
- anything else (an HTML page from a proxy): its first 300 characters.

The status picks the class (see :func:`error_for_status`); an error that arrives inside a
stream under HTTP 200 is classified by its own ``code`` and ``type`` instead. The API key
is scrubbed from every message a server sends back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    BadRequestError,
    ContextWindowExceededError,
    RateLimitError,
)
from .retry import retry_after_seconds

__all__ = ["ErrorBody", "error_for_event", "error_for_status", "parse_error_body", "redact"]

REDACTED = "<redacted>"

_CONTEXT_WORDS = re.compile(
    r"context[ _](?:length|window|size)|maximum context|prompt is too long", re.IGNORECASE
)
# The last alternatives are `promptcraft serve`'s own wording ("the prompt has 500 tokens of
# the model's 512 context tokens", "the messages come to 30 tokens, and the model's context
# is 512 tokens").
_MAX_CONTEXT = re.compile(
    r"(?:maximum context length is|context (?:size|window|length) (?:is |of )?\(?|"
    r"the model's context is |of the model's )(\d+)",
    re.IGNORECASE,
)
_PROMPT_TOKENS = re.compile(
    r"(\d+) (?:tokens )?in the (?:messages|prompt)|request has (\d+) input tokens|"
    r"messages resulted in (\d+) tokens|the prompt has (\d+) tokens|"
    r"the messages come to (\d+) tokens",
    re.IGNORECASE,
)


class ErrorBody(BaseModel):
    """What a server said about an error, whatever shape it said it in."""

    model_config = ConfigDict(frozen=True)

    message: str
    type: str | None = None
    param: str | None = None
    code: str | None = None
    status_hint: int | None = None  # an HTTP status the body itself carries (vLLM's "code": 400)
    prompt_tokens: int | None = None  # llama.cpp's n_prompt_tokens
    max_context: int | None = None  # llama.cpp's n_ctx


def parse_error_body(body: bytes | str | Any) -> ErrorBody:
    """Read an error body (raw bytes or text, or already-parsed JSON)."""
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return ErrorBody(message=_shorten(text) or "(empty body)")
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return _from_fields(inner)
        if isinstance(inner, str):
            return ErrorBody(message=inner)
        if "message" in body:
            return _from_fields(body)
        detail = body.get("detail")
        if isinstance(detail, str):
            return ErrorBody(message=detail)
        if isinstance(detail, list):
            return ErrorBody(message="; ".join(_fastapi_detail(d) for d in detail))
    return ErrorBody(message=_shorten(json.dumps(body)))


def error_for_status(
    status: int,
    body: bytes | str | Any,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    secret: str | None = None,
) -> BackendError:
    """The typed error for an HTTP error answer (after any retries)."""
    server = _redacted(parse_error_body(body), secret)
    headers = headers or {}
    where = f"the server at {url} answered HTTP {status}"
    if status in (401, 403):
        return AuthenticationError(
            f"{where}: {_said(server)}. Check the API key (api_key= or OPENAI_API_KEY for "
            "api.openai.com) and that it may use this model",
            status=status,
            server_message=server.message,
            code=server.code,
        )
    if status == 429:
        return RateLimitError(
            f"{where} (rate limited) after the retries: {_said(server)}",
            status=status,
            server_message=server.message,
            code=server.code,
            retry_after=retry_after_seconds(headers),
        )
    if status in (400, 404, 413, 422) and is_context_length(server):
        return _context_error(f"{where}: {_said(server)}", server, status)
    if status in (400, 404, 422):
        return BadRequestError(
            f"{where}: {_said(server)}",
            status=status,
            field=server.param,
            server_message=server.message,
            code=server.code,
        )
    if status >= 500:
        return BackendUnavailableError(
            f"{where} after the retries: {_said(server)}",
            status=status,
            server_message=server.message,
            code=server.code,
        )
    return BackendError(f"{where}: {_said(server)}", status=status)


def error_for_event(payload: Any, *, url: str, secret: str | None = None) -> BackendError:
    """The typed error for an ``{"error": ...}`` event inside a stream (HTTP 200): the
    server failed after it began answering."""
    server = _redacted(parse_error_body(payload), secret)
    where = f"the server at {url} reported an error mid-stream"
    kind = f"{server.type or ''} {server.code or ''}".lower()
    status = server.status_hint
    if is_context_length(server):
        return _context_error(f"{where}: {_said(server)}", server, status)
    if status in (401, 403) or "auth" in kind or "api_key" in kind:
        return AuthenticationError(
            f"{where}: {_said(server)}", status=status, server_message=server.message
        )
    if status == 429 or "rate_limit" in kind:
        return RateLimitError(
            f"{where}: {_said(server)}",
            status=status,
            server_message=server.message,
            code=server.code,
        )
    if status in (400, 404, 422) or "invalid_request" in kind or "badrequest" in kind:
        return BadRequestError(
            f"{where}: {_said(server)}",
            status=status,
            field=server.param,
            server_message=server.message,
            code=server.code,
        )
    if (status is not None and status >= 500) or "server_error" in kind or "overloaded" in kind:
        return BackendUnavailableError(
            f"{where}: {_said(server)}",
            status=status,
            server_message=server.message,
            code=server.code,
        )
    return BackendError(f"{where}: {_said(server)}", status=status)


def is_context_length(server: ErrorBody) -> bool:
    """Whether the error says the prompt does not fit the model's context."""
    if server.code in ("context_length_exceeded", "context_window_exceeded"):
        return True
    if server.type == "exceed_context_size_error":  # llama.cpp
        return True
    return bool(_CONTEXT_WORDS.search(server.message))


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced."""
    return text.replace(secret, REDACTED) if secret else text


# --- helpers ----------------------------------------------------------------------------------


def _from_fields(fields: Mapping[str, Any]) -> ErrorBody:
    code = fields.get("code")
    status_hint = code if isinstance(code, int) and 400 <= code <= 599 else None
    return ErrorBody(
        message=str(fields.get("message") or "(no message)"),
        type=_text(fields.get("type")),
        param=_text(fields.get("param")),
        code=_text(code),
        status_hint=status_hint,
        prompt_tokens=_int(fields.get("n_prompt_tokens")),
        max_context=_int(fields.get("n_ctx")),
    )


def _context_error(message: str, server: ErrorBody, status: int | None) -> BackendError:
    said = server.message
    max_context = server.max_context or _first_int(_MAX_CONTEXT, said)
    prompt_tokens = server.prompt_tokens or _first_int(_PROMPT_TOKENS, said)
    return ContextWindowExceededError(
        f"{message}. Shorten the prompt or lower max_tokens",
        status=status,
        server_message=said,
        code=server.code,
        prompt_tokens=prompt_tokens,
        max_context=max_context,
    )


def _said(server: ErrorBody) -> str:
    pairs = (("code", server.code), ("type", server.type))
    tags = [f"{name} {value}" for name, value in pairs if value]
    return server.message + (f" ({', '.join(tags)})" if tags else "")


def _redacted(server: ErrorBody, secret: str | None) -> ErrorBody:
    if not secret or secret not in server.message:
        return server
    return server.model_copy(update={"message": redact(server.message, secret)})


def _fastapi_detail(detail: Any) -> str:
    if isinstance(detail, Mapping):
        where = ".".join(str(p) for p in detail.get("loc", ()))
        return f"{where}: {detail.get('msg', '')}" if where else str(detail.get("msg", ""))
    return str(detail)


def _first_int(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.search(text)
    if match is None:
        return None
    return next(int(g) for g in match.groups() if g is not None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
