"""Errors as OpenAI clients expect them: a status and ``{"error": {"message", "type", "param",
"code"}}``. Handlers raise :class:`APIError`; the app turns it (and any other failure) into
that body, so one bad request never stops the server.

==========  ===========================  =====================================================
status      code                         when
==========  ===========================  =====================================================
400         ``invalid_json``             the body is not JSON
400         ``invalid_value`` (etc.)     a field has the wrong type or value (``param`` names it)
400         ``context_length_exceeded``  the prompt plus ``max_tokens`` exceeds the context
401         ``invalid_api_key``          ``--api-key`` is set and the request lacks it
404         ``model_not_found``          ``model`` is not the model this server serves
404         ``unknown_url``              no such endpoint
413         ``request_too_large``        the body exceeds ``--max-body-bytes``
429         ``server_busy``              ``--max-concurrency`` requests are in flight already
                                         (with ``Retry-After``)
500         ``backend_error``            the backend failed to generate (its message says why)
500         ``internal_error``           a bug; the server log has the traceback
==========  ===========================  =====================================================
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import Response

from ..errors import ContextLengthError, InvalidRequestError
from .schemas import ErrorBody, ErrorDetail

__all__ = ["APIError", "error_response", "from_backend_error", "from_validation_error"]


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
    error = exc.errors()[0]
    if error["type"] == "json_invalid":
        return APIError(
            400,
            f"the request body is not valid JSON: {error['msg']}",
            code="invalid_json",
        )
    param = _param_name(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
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


def from_backend_error(exc: InvalidRequestError | ContextLengthError, *, param: str) -> APIError:
    """A 400 for what the backend refused; ``param`` names the input for context errors."""
    if isinstance(exc, ContextLengthError):
        return APIError(400, str(exc), param=param, code="context_length_exceeded")
    return APIError(400, str(exc), param=exc.field, code="invalid_value")


def _param_name(loc: tuple[int | str, ...]) -> str:
    # pydantic adds the member of a union it tried ("str", "list[str]"); clients know only
    # the field path.
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part[:1].isupper() or "[" in part or part in _UNION_MEMBERS:
            continue
        else:
            name += f".{part}" if name else part
    return name


_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})
