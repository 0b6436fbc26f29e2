"""Reading a request body into a validated model, within a size limit.

The limit is checked against ``Content-Length`` before anything is read, and again while a
chunked body arrives, so an oversized upload is refused without being held in memory.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from .errors import APIError, from_validation_error

__all__ = ["read_body"]

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, model: type[M], *, limit: int) -> M:
    """The body as ``model``, or an :class:`APIError`: 413 past ``limit`` bytes, 400 for
    malformed JSON or a field of the wrong type or value."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise _too_large(limit)
    if not data:
        raise APIError(400, "the request body is empty; send a JSON object", code="invalid_json")
    try:
        return model.model_validate_json(bytes(data), strict=True)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _too_large(limit: int) -> APIError:
    return APIError(
        413,
        f"the request body is larger than {limit} bytes (the server's --max-body-bytes)",
        code="request_too_large",
    )
