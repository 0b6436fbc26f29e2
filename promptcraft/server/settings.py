"""How a server behaves: who may call it and how much it takes on at once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_CONCURRENCY", "ServerSettings"]

DEFAULT_MAX_CONCURRENCY = 64
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ServerSettings(BaseModel):
    """The options of ``promptcraft serve`` that shape the app (host and port do not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(description="The name clients pass as `model`; /v1/models lists it.")
    # A SecretStr never shows its value in a repr or a log line.
    api_key: SecretStr | None = Field(
        default=None, description="When set, /v1/* and /metrics need `Authorization: Bearer KEY`."
    )
    max_concurrency: int = Field(
        default=DEFAULT_MAX_CONCURRENCY,
        ge=1,
        description="Requests admitted at once (one generating, the rest waiting); more get 429.",
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=1, description="Larger request bodies get 413."
    )
    retry_after_s: int = Field(default=1, ge=1, description="The Retry-After of a 429.")
