"""Errors as OpenAI clients expect them: a status and ``{"error": {"message", "type", "param",
"code"}}``. Handlers raise :class:`APIError`; the app turns it (and any other failure) into
that body, so one bad request never stops the server.

==========  ===========================  =====================================================
status      code                         when
==========  ===========================  =====================================================
400         ``invalid_json``             the body is not JSON
400         ``invalid_value`` (etc.)     a field has the wrong type or value (``param`` names it)
400         ``unsupported_value`` (etc.) a field the server cannot honour with that value
400         ``context_length_exceeded``  the prompt plus ``max_tokens`` exceeds the context
401         ``invalid_api_key``          ``--api-key`` is set and the request lacks it
404         ``model_not_found``          ``model`` is not the model this server serves
404         ``unknown_url``              no such endpoint
413         ``request_too_large``        the body exceeds ``--max-body-bytes``
429         ``server_busy``              ``--max-batch`` requests generate and ``--max-queue``
                                         wait already (with ``Retry-After``)
500         ``backend_error``            the backend failed to generate (its message says why)
500         ``internal_error``           a bug; the server log has the traceback
==========  ===========================  =====================================================
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ContextLengthError, InvalidRequestError
from .schemas import ErrorBody, ErrorDetail

__all__ = [
    "APIError",
    "AnswerFailures",
    "error_response",
    "from_backend_error",
    "from_validation_error",
]

log = logging.getLogger("promptcraft.server")


class APIError(Exception):
    """A request failed in a way the client should hear about, with this HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}
        super().__init__(message)

    def body(self) -> ErrorBody:
        return ErrorBody(
            error=ErrorDetail(
                message=self.message, type=self.type, param=self.param, code=self.code
            )
        )


def error_response(error: APIError) -> Response:
    return Response(
        error.body().model_dump_json(),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


def from_validation_error(exc: ValidationError) -> APIError:
    """A 400 naming the first field pydantic rejected, as OpenAI writes it
    (``messages[0].role``)."""
    error = _most_specific(exc.errors())
    if error["type"] == "json_invalid":
        return APIError(
            400,
            f"the request body is not valid JSON: {error['msg']}",
            code="invalid_json",
        )
    param = _param_name(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden" and param in _UNSUPPORTED_FIELDS:
        message = f"{param} is not supported by this server: {_UNSUPPORTED_FIELDS[param]}"
        code = "unsupported_parameter"
    elif kind == "extra_forbidden":
        message = f"unrecognized request argument supplied: {param}"
        code = "unknown_parameter"
    elif kind == "missing":
        message = f"you must provide {param!r}"
        code = "missing_required_parameter"
    else:
        got = error.get("input")
        message = f"invalid value for {param!r}: {error['msg']} (got {got!r})"
        if kind == "model_type" and not param:
            message = "the request body must be a JSON object"
        code = "invalid_type" if kind.endswith("_type") else "invalid_value"
    return APIError(400, message, param=param or None, code=code)


def from_backend_error(
    exc: InvalidRequestError | ContextLengthError,
    *,
    param: str,
    max_tokens: int | None = None,
    max_tokens_param: str = "max_tokens",
) -> APIError:
    """A 400 for what the backend refused. For a context error, ``param`` names the input
    (``prompt`` or ``messages``) and ``max_tokens`` is what the client asked for (None when
    unset): the error names ``max_tokens_param`` when the prompt alone fits, since lowering
    it is then the fix."""
    if isinstance(exc, ContextLengthError):
        return _context_error(exc, param, max_tokens, max_tokens_param)
    return APIError(400, str(exc), param=exc.field, code="invalid_value")


def _context_error(
    exc: ContextLengthError, param: str, max_tokens: int | None, max_tokens_param: str
) -> APIError:
    prompt, context = exc.prompt_tokens, exc.max_context
    if prompt is None or context is None:  # a backend that does not say: its own words
        return APIError(400, str(exc), param=param, code="context_length_exceeded")
    if param == "prompt":
        size = f"the prompt has {prompt} tokens"
    else:
        size = f"the messages come to {prompt} tokens"
    if prompt >= context:
        message = (
            f"{size}, and the model's context is {context} tokens: that leaves no room to "
            f"generate; shorten the {param}"
        )
    elif max_tokens is not None:
        message = (
            f"{max_tokens_param} is {max_tokens}, but {size} of the model's {context} context "
            f"tokens, which leaves room for {context - prompt}: lower {max_tokens_param} or "
            f"shorten the {param}"
        )
        return APIError(400, message, param=max_tokens_param, code="context_length_exceeded")
    else:
        message = (
            f"{size} of the model's {context} context tokens, which leaves room for only "
            f"{context - prompt} more, too few for this request: shorten the {param}"
        )
    return APIError(400, message, param=param, code="context_length_exceeded")


class AnswerFailures:
    """ASGI middleware: a request that fails with an unexpected exception gets a 500 in the
    OpenAI shape, and the connection stays usable.

    Starlette's own handler for ``Exception`` re-raises after answering, and uvicorn then
    closes the connection, so a client's next request on it (keep-alive) was reset. Here the
    exception is logged and ends with the answer. If the response had started already (a
    stream), it is re-raised: only closing the connection can tell the client then. A client
    that disconnects while sending its body is no failure: it is logged in one line."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:  # it left while sending its body: nobody to answer
            log.info(
                "client left during %s %s before its body arrived", scope["method"], scope["path"]
            )
        except Exception as exc:
            if started:
                raise
            log.error("internal error on %s %s", scope["method"], scope["path"], exc_info=exc)
            error = APIError(
                500,
                "the server failed on this request; its log has the details",
                type="server_error",
                code="internal_error",
            )
            await error_response(error)(scope, receive, send)


def _param_name(loc: tuple[int | str, ...]) -> str:
    # pydantic adds the member of a union it tried ("str", "list[str]"); clients know only
    # the field path.
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif _is_union_member(part):
            continue
        else:
            name += f".{part}" if name else part
    return name


_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def _is_union_member(part: str) -> bool:
    return part[:1].isupper() or "[" in part or part in _UNION_MEMBERS


def _most_specific(errors: list[ErrorDetails]) -> ErrorDetails:
    """The error to report: of the first field that failed, the failure deepest in it. A
    value that fits no member of a union fails once per member; the deepest failure says
    what is wrong (``messages[0].content[1]`` is not an object), not that the value is not
    a string."""
    field = errors[0]["loc"][:1]
    same_field = [error for error in errors if error["loc"][:1] == field]
    return max(same_field, key=lambda error: _depth(error["loc"]))


def _depth(loc: tuple[int | str, ...]) -> int:
    return sum(1 for part in loc if isinstance(part, int) or not _is_union_member(part))


# OpenAI's fields that this server knows and cannot honour, and why.
_UNSUPPORTED_FIELDS = {
    "reasoning_effort": "the model does not reason before it answers",
    "verbosity": "the model has no verbosity setting; use max_tokens to bound the reply",
    "modalities": "the model writes text only",
    "audio": "the model writes text only",
    "prediction": "predicted outputs are not supported",
    "web_search_options": "the model cannot search the web",
    "functions": "tools are not supported by this server's chat API",
    "function_call": "tools are not supported by this server's chat API",
}
