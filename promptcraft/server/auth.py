"""API-key checking: with ``--api-key``, every request but ``GET /health`` must carry
``Authorization: Bearer KEY``. The key is compared in constant time and never logged."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import APIError, error_response

__all__ = ["RequireAPIKey"]

_OPEN_PATHS = frozenset({"/health"})


class RequireAPIKey:
    """ASGI middleware answering 401, OpenAI-style, to requests without the key."""

    def __init__(self, app: ASGIApp, *, api_key: str):
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _OPEN_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        error = APIError(
            401,
            "missing or incorrect API key: send the server's key as 'Authorization: Bearer KEY'",
            code="invalid_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await error_response(error)(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self._key)
